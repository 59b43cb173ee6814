select c.country, sum(i.amount) as revenue
from staging.stg_invoices i
join staging.stg_customers c using (customer_id)
group by c.country;
