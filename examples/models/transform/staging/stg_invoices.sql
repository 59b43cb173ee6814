select invoice_id, customer_id, amount::numeric(12, 2) as amount
from raw.invoices;
