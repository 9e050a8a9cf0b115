/**
 * Numeric ids, as the reference shows them ("id": 123). One counter document per sequence, advanced
 * with a single atomic $inc, so concurrent creators on any replica never get the same id.
 */
import mongoose, { Schema } from 'mongoose';

interface Counter {
  _id: string;
  seq: number;
}

const counterSchema = new Schema<Counter>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  {
    versionKey: false,
    collection: 'counters',
  },
);

export const CounterModel = mongoose.model<Counter>('Counter', counterSchema);

export async function nextId(sequence: string): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const doc = await CounterModel.findOneAndUpdate(
        { _id: sequence },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after', lean: true },
      );
      return doc!.seq;
    } catch (err) {
      // Two first-ever upserts can race on _id on MongoDB; the loser simply retries.
      if ((err as { code?: number }).code === 11000 && attempt < 3) continue;
      throw err;
    }
  }
}
