/** What other services may rely on from the customer service: the shapes of its answers. */

/** A customer as the admin API shows it. */
export interface CustomerAnswer {
  id: number;
  name: string;
  email: string;
  company: string;
  phone: string;
  notes: string;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

/** What `customer.search` answers (global search). */
export interface CustomerSearchAnswer {
  id: number;
  name: string;
  email: string;
  company: string;
  is_active: boolean;
}

/** What `customer.statuses` answers for each customer found (license views, search subtitles). */
export interface CustomerStatusAnswer {
  id: number;
  name: string;
  email: string;
  is_active: boolean;
}
