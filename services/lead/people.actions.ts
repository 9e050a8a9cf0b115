/**
 * A lead's contacts and activities, managed from the lead's page. Each change touches the lead
 * (updated_at: the list's default order shows the leads worked on last first) and is announced as
 * `lead.updated`; a contact change also refreshes the words the lead is found by.
 */
import type { Context } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { nextId } from '../../models/counter.model.ts';
import { LeadInstitutionModel } from '../../models/lead-institution.model.ts';
import { LeadContactModel } from '../../models/lead-contact.model.ts';
import { LeadActivityModel } from '../../models/lead-activity.model.ts';
import type { ActivityAnswer, ContactAnswer } from './contract.ts';
import { ACTIVITY_FIELDS, CONTACT_FIELDS, storedContactFields } from './fields.ts';
import { findLead, forgetStats, refreshSearchWords, toActivityAnswer, toContactAnswer } from './records.ts';
import type { LeadThis } from './state.ts';

const action = actionFor<LeadThis>();

function contactNotFound(id: number): NotFoundError {
  return new NotFoundError(`Contact ${id} not found on this lead`, 'CONTACT_NOT_FOUND', {
    field: 'contact_id',
    reason: 'not_found',
  });
}

async function touched(service: LeadThis, ctx: Context, leadId: number): Promise<void> {
  await LeadInstitutionModel.updateOne({ _id: leadId }, { $set: { updated_at: new Date() } });
  await forgetStats(service);
  await service.announce(ctx, 'lead.updated', { lead_id: leadId });
}

export const peopleActions = {
  addContact: action({
    params: objectSchema({ lead_id: ID_SCHEMA, ...CONTACT_FIELDS }, ['lead_id', 'name']),
    async handler(ctx): Promise<ContactAnswer> {
      const { lead_id: leadId, ...fields } = ctx.params;
      await findLead(leadId);
      const now = new Date();
      const created = await LeadContactModel.create({
        _id: await nextId('lead_contact'),
        institution_id: leadId,
        ...storedContactFields(fields),
        created_at: now,
        updated_at: now,
      });
      await refreshSearchWords(leadId);
      await touched(this, ctx, leadId);
      return toContactAnswer(created.toObject());
    },
  }),

  updateContact: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA, ...CONTACT_FIELDS }, ['lead_id', 'contact_id'], {
      minProperties: 3,
    }),
    async handler(ctx): Promise<ContactAnswer> {
      const { lead_id: leadId, contact_id: id, ...fields } = ctx.params;
      const doc = await LeadContactModel.findOneAndUpdate(
        { _id: id, institution_id: leadId },
        { $set: { ...storedContactFields(fields), updated_at: new Date() } },
        { returnDocument: 'after', lean: true },
      );
      if (!doc) throw contactNotFound(id);
      await refreshSearchWords(leadId);
      await touched(this, ctx, leadId);
      return toContactAnswer(doc);
    },
  }),

  /** The contact goes; activities with them stay, no longer naming them. */
  removeContact: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA }, ['lead_id', 'contact_id']),
    async handler(ctx) {
      const { lead_id: leadId, contact_id: id } = ctx.params;
      const { deletedCount } = await LeadContactModel.deleteOne({ _id: id, institution_id: leadId });
      if (deletedCount === 0) throw contactNotFound(id);
      await LeadActivityModel.updateMany({ institution_id: leadId, contact_id: id }, { $set: { contact_id: null } });
      await refreshSearchWords(leadId);
      await touched(this, ctx, leadId);
      return { success: true, message: 'Contact removed' };
    },
  }),

  /** An activity of the lead, optionally with one of its contacts; `occurred_at` defaults to now. */
  addActivity: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA, ...ACTIVITY_FIELDS }, [
      'lead_id',
      'type',
      'text',
    ]),
    async handler(ctx): Promise<ActivityAnswer> {
      const p = ctx.params;
      await findLead(p.lead_id);
      if (
        p.contact_id !== undefined &&
        !(await LeadContactModel.exists({ _id: p.contact_id, institution_id: p.lead_id }))
      ) {
        throw contactNotFound(p.contact_id);
      }
      const created = await LeadActivityModel.create({
        _id: await nextId('lead_activity'),
        institution_id: p.lead_id,
        contact_id: p.contact_id ?? null,
        type: p.type,
        text: p.text.trim(),
        who: (p.who ?? '').trim(),
        occurred_at: p.occurred_at === undefined ? new Date() : new Date(p.occurred_at),
        created_at: new Date(),
      });
      await touched(this, ctx, p.lead_id);
      return toActivityAnswer(created.toObject());
    },
  }),

  removeActivity: action({
    params: objectSchema({ lead_id: ID_SCHEMA, activity_id: ID_SCHEMA }, ['lead_id', 'activity_id']),
    async handler(ctx) {
      const { lead_id: leadId, activity_id: id } = ctx.params;
      const { deletedCount } = await LeadActivityModel.deleteOne({ _id: id, institution_id: leadId });
      if (deletedCount === 0) {
        throw new NotFoundError(`Activity ${id} not found on this lead`, 'ACTIVITY_NOT_FOUND', {
          field: 'activity_id',
          reason: 'not_found',
        });
      }
      await touched(this, ctx, leadId);
      return { success: true, message: 'Activity removed' };
    },
  }),
};
