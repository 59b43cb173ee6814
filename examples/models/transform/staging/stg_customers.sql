select customer_id, trim(name) as name, upper(country) as country
from raw.customers;
