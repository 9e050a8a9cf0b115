/**
 * Converting a lead into a customer, through the customer service (never its collection): the
 * customer is created from the lead's name and a contact's email, or linked when a customer with that
 * email exists already. Idempotent: a converted lead answers its link again, and two conversions at
 * once end with one customer (the loser of the email's unique index links the winner's customer).
 */
import type { Context } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { ConflictError } from '../../lib/core/errors.ts';
import { LeadInstitutionModel } from '../../models/lead-institution.model.ts';
import { LeadContactModel, type LeadContactDoc } from '../../models/lead-contact.model.ts';
import type { CustomerAnswer, CustomerSearchAnswer } from '../customer/contract.ts';
import type { ConvertAnswer } from './contract.ts';
import { findLead, forgetStats, leadNotFound, toLeadAnswer } from './records.ts';
import type { LeadThis } from './state.ts';

const action = actionFor<LeadThis>();

/** customer.search takes at most 100 characters; longer addresses can only be found by creating. */
const SEARCHABLE_EMAIL_LENGTH = 100;

async function customerWithEmail(ctx: Context, email: string): Promise<number | null> {
  if (email.length > SEARCHABLE_EMAIL_LENGTH) return null;
  const found = await ctx.call<CustomerSearchAnswer[], { q: string; limit: number }>('customer.search', {
    q: email,
    limit: 5,
  });
  return found.find(c => c.email.toLowerCase() === email.toLowerCase())?.id ?? null;
}

function isEmailTaken(err: unknown): boolean {
  return (err as { type?: unknown }).type === 'CUSTOMER_EMAIL_EXISTS';
}

export const convertActions = {
  /** The customer comes from `contact_id`'s email, or the first contact with one. */
  convert: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA }, ['lead_id']),
    async handler(ctx): Promise<ConvertAnswer> {
      const id = ctx.params.lead_id;
      const lead = await findLead(id);
      if (lead.customer_id !== null) {
        return {
          success: true,
          message: 'The lead was converted already',
          lead: toLeadAnswer(lead),
          customer_id: lead.customer_id,
          created_customer: false,
          outcome: 'already',
        };
      }
      const contact: LeadContactDoc | null = await LeadContactModel.findOne({
        institution_id: id,
        email: { $ne: '' },
        ...(ctx.params.contact_id !== undefined ? { _id: ctx.params.contact_id } : {}),
      })
        .sort({ _id: 1 })
        .lean();
      if (!contact) {
        throw new ConflictError(
          'Add a contact with an email first: the customer is created with that email',
          'LEAD_NOT_CONVERTIBLE',
          { field: 'contact_id', reason: 'no_email' },
        );
      }

      let customerId = await customerWithEmail(ctx, contact.email);
      let created = false;
      if (customerId === null) {
        try {
          const customer = await ctx.call<CustomerAnswer, Record<string, string>>('customer.create', {
            name: lead.name,
            email: contact.email,
            company: lead.name,
            phone: contact.phone ?? '',
            notes: `Converted from lead ${id} (contact: ${contact.name})`,
          });
          customerId = customer.id;
          created = true;
        } catch (err) {
          if (!isEmailTaken(err)) throw err;
          customerId = await customerWithEmail(ctx, contact.email);
          if (customerId === null) throw err;
        }
      }

      const updated = await LeadInstitutionModel.findOneAndUpdate(
        { _id: id, customer_id: null },
        { $set: { customer_id: customerId, status: 'customer', updated_at: new Date() } },
        { returnDocument: 'after', lean: true },
      );
      if (!updated) {
        // Converted (or deleted) meanwhile: answer what is stored now.
        const now = await LeadInstitutionModel.findById(id).lean();
        if (!now) throw leadNotFound(id);
        return {
          success: true,
          message: 'The lead was converted already',
          lead: toLeadAnswer(now),
          customer_id: now.customer_id ?? customerId,
          created_customer: false,
          outcome: 'already',
        };
      }
      await forgetStats(this);
      await this.announce(ctx, 'lead.converted', { lead_id: id, customer_id: customerId, created_customer: created });
      return {
        success: true,
        message: created ? 'Lead converted: a new customer was created' : 'Lead linked to the existing customer',
        lead: toLeadAnswer(updated),
        customer_id: customerId,
        created_customer: created,
        outcome: created ? 'created' : 'linked',
      };
    },
  }),
};
