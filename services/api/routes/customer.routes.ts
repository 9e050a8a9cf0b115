/** Admin API: customers (create, read, update, delete, Select2 search, their licenses and figures). */
import { read, write, type RouteSpec } from './spec.ts';

const CUSTOMERS = 'Customers';

export const CUSTOMER_ROUTES: RouteSpec[] = [
  write(
    'POST',
    '/api/customers',
    'customer.create',
    'Create a customer (email unique, case-insensitively)',
    CUSTOMERS,
    201,
  ),
  read('/api/customers', 'customer.select', 'Search customers for a Select2 dropdown (q, page, limit)', CUSTOMERS),
  read('/api/customer/:customer_id', 'customer.read', 'Read a customer', CUSTOMERS),
  write('PUT', '/api/customer/:customer_id', 'customer.update', "Update a customer's own fields", CUSTOMERS),
  write(
    'DELETE',
    '/api/customer/:customer_id',
    'customer.remove',
    'Delete a customer (refused while it has licenses)',
    CUSTOMERS,
  ),
  read('/api/customer/:customer_id/licenses', 'customer.licenses', 'Licenses of a customer', CUSTOMERS),
  read('/api/customer/:customer_id/quick-stats', 'customer.quickStats', 'Quick statistics for a customer', CUSTOMERS),
];
