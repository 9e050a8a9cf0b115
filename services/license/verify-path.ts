/**
 * The verify hot path: every client app calls it at every start, so a warm verify is answered
 * synchronously from memory, without a single promise, database read, Redis or network round trip
 * (docs/performance.md has the measurements behind each choice).
 *
 * It answers from three in-process caches:
 *  - the license's view (license, customer status, activations; view-cache.ts), dropped on every node
 *    by whoever changes one of its sources before that writer answers (license.dropViews), and expired
 *    after VIEW_MAX_AGE_MS so a node that missed a drop heals by itself;
 *  - the release list (for update_available / latest_version), dropped the same way on a new release;
 *  - the session memo of sessions.ts: an activation admitted to a max_users seat recently need not be
 *    admitted again in Redis on every verify.
 * When one of them is missing, verifySlow loads it and checks the session seat in Redis.
 */
import type { Logger, ServiceBroker } from 'moleculer';
import { dateOnly } from '../../lib/core/values.ts';
import { updateFor, type ReleaseInfo, type UpdateAnswer } from '../../lib/domain/releases.ts';
import type { VerifyAnswer } from './contract.ts';
import type { ViewLoadCounters } from './metrics.ts';
import type { SessionStore, UsersLevelMove } from './sessions.ts';
import { ViewCache } from './view-cache.ts';
import { ViewLoader } from './view-loader.ts';
import { VERIFY_MESSAGES, evaluate, type LicenseSnapshot, type LicenseView, type VerifyCode } from './verdict.ts';

/** A view older than this is reloaded even without a drop, so a missed drop heals itself. */
const VIEW_MAX_AGE_MS = 60_000;
const VIEW_MAX_ENTRIES = 100_000;
/** Keys that name no license, kept apart so that random keys cannot push out the working set. */
const VIEW_MAX_MISSES = 10_000;
const RELEASES_MAX_AGE_MS = 30_000;
/**
 * How long an expired view or release list still answers while its reloads fail (the database, NATS or
 * another service away): a client that verified before the outage keeps verifying through it.
 */
const MAX_STALE_MS = 10 * 60_000;
/** A failed reload of the release list is tried again after this long at the soonest. */
const RELEASE_RETRY_MS = 1000;
/** Distinct client versions whose update answer is remembered per release list. */
const UPDATE_MEMO_MAX = 10_000;

/** The answer, and the activation that was found valid (heartbeats record it). */
export interface Verdict {
  answer: VerifyAnswer;
  activationId: number | undefined;
}

export interface VerifyOptions {
  /**
   * A heartbeat: always refreshes the session in Redis (and is counted there); verifies may rely on
   * a recent admission.
   */
  forceSession: boolean;
  /** Legacy clients name their activation; it must be this machine's. */
  activationId?: number;
}

/** Told when a session admission moved a license's max_users usage level (usage.ts announces it). */
export type UsersLevelListener = (license: LicenseSnapshot, moved: UsersLevelMove) => void;

interface ReleaseCache {
  list: Promise<ReleaseInfo[]>;
  at: number;
  /** The loaded list, once in: lets a warm verify skip the promise. */
  ready?: ReleaseInfo[];
  /** When its last reload failed (the next waits RELEASE_RETRY_MS). */
  failedAt?: number;
}

export class VerifyPath {
  private readonly broker: ServiceBroker;
  private readonly logger: Logger;
  private readonly sessions: SessionStore;
  private readonly onUsersLevel: UsersLevelListener;
  private readonly loader: ViewLoader;
  private readonly views = new ViewCache<LicenseView>(VIEW_MAX_AGE_MS, VIEW_MAX_ENTRIES, {
    isMiss: view => view.license === null,
    maxMisses: VIEW_MAX_MISSES,
    refresh: key => this.loader.load(key),
    maxStaleMs: MAX_STALE_MS,
  });
  private releases: ReleaseCache | null = null;
  private releasesLoading: Promise<ReleaseInfo[]> | null = null;
  /** Bumped by every drop: a load that started before it is not kept. */
  private releasesGeneration = 0;
  private releasesFailing = false;
  private updates: { list: ReleaseInfo[]; byVersion: Map<string, UpdateAnswer> } | null = null;

  constructor(
    broker: ServiceBroker,
    logger: Logger,
    sessions: SessionStore,
    onUsersLevel: UsersLevelListener,
    loadCounters?: ViewLoadCounters,
  ) {
    this.broker = broker;
    this.logger = logger;
    this.sessions = sessions;
    this.onUsersLevel = onUsersLevel;
    this.loader = new ViewLoader(broker, loadCounters);
  }

  /**
   * The verify answer. Warm (view, releases and a recent session admission in memory) it is computed
   * synchronously, with no promise at all; otherwise verifySlow loads what is missing.
   */
  answer(
    key: string,
    hardwareHash: string,
    appVersion: string | undefined,
    opts: VerifyOptions,
  ): Verdict | Promise<Verdict> {
    const now = Date.now();
    return (
      this.warmAnswer(key, hardwareHash, appVersion, opts, now) ??
      this.answerSlow(key, hardwareHash, appVersion, opts, now)
    );
  }

  /**
   * The answer when everything it needs is in memory (view, releases and, for a valid machine, a recent
   * session admission); undefined otherwise, having started nothing.
   */
  warmAnswer(
    key: string,
    hardwareHash: string,
    appVersion: string | undefined,
    opts: VerifyOptions,
    now: number = Date.now(),
  ): Verdict | undefined {
    const view = this.views.peek(key, now);
    if (!view) return undefined;
    const releases = this.warmReleases(now);
    if (!releases) return undefined;
    const { code, activation } = evaluate(view, hardwareHash, now, opts.activationId);
    if (code !== 'VALID' || (activation && !opts.forceSession && this.sessions.admittedRecently(activation.id, now))) {
      if (code === 'VALID' && activation && view.license && this.sessions.refreshDue(activation.id, now)) {
        this.refreshSession(view.license, activation.id, now);
      }
      return { answer: this.compose(view, releases, code, appVersion), activationId: activation?.id };
    }
    return undefined;
  }

  /**
   * The session of an activation answered from the memo, refreshed in Redis behind the answer. A refusal
   * (the seat was taken meanwhile) clears the memo, so the next verify asks and answers it; a failure
   * leaves the memo to expire, and the next verify's own admission handles Redis being away.
   */
  private refreshSession(license: LicenseSnapshot, activationId: number, now: number): void {
    this.sessions.refresh(license.id, activationId, license.max_users, now).then(
      touched => {
        if (touched.moved) this.onUsersLevel(license, touched.moved);
      },
      () => undefined,
    );
  }

  /** The license's view, from the cache or loaded (concurrent loads of one key share one read). */
  view(key: string): Promise<LicenseView> {
    return this.views.get(key, () => this.loader.load(key));
  }

  dropView(key: string): void {
    this.views.invalidate(key);
  }

  dropAllViews(): void {
    this.views.clear();
  }

  /** Drops the views of these customers' licenses (a customer was changed or deleted). */
  dropCustomerViews(customerIds: number[]): void {
    const ids = new Set(customerIds);
    this.views.invalidateWhere(view => view.license !== null && ids.has(view.license.customer_id ?? -1));
  }

  dropReleases(): void {
    this.releases = null;
    this.releasesLoading = null;
    this.releasesGeneration += 1;
  }

  private async answerSlow(
    key: string,
    hardwareHash: string,
    appVersion: string | undefined,
    opts: VerifyOptions,
    now: number,
  ): Promise<Verdict> {
    const [view, releases] = await Promise.all([this.view(key), this.releaseList()]);
    let { code, activation } = evaluate(view, hardwareHash, now, opts.activationId);
    if (code === 'VALID' && activation && view.license) {
      let admitted = true;
      try {
        const touched = await this.sessions.touch(
          view.license.id,
          activation.id,
          view.license.max_users,
          opts.forceSession,
          now,
        );
        admitted = touched.admitted;
        if (touched.moved) this.onUsersLevel(view.license, touched.moved);
      } catch (err) {
        // Redis away: a client must still be able to start; the seat count is enforced again once
        // Redis is back (fail open, logged once per outage by the session store).
        if (this.sessions.failedOpen(activation.id, now)) {
          this.logger.warn('Session store unavailable, admitting without a seat check until it is back', {
            message: (err as Error).message,
          });
        }
      }
      if (!admitted) {
        code = 'TOO_MANY_USERS';
        activation = undefined;
      }
    }
    return { answer: this.compose(view, releases, code, appVersion), activationId: activation?.id };
  }

  /**
   * The release list if it is in memory: fresh, or expired and still allowed to answer (within
   * MAX_STALE_MS) while a reload runs in the background. Never waits.
   */
  private warmReleases(now: number): ReleaseInfo[] | undefined {
    const current = this.releases;
    if (!current?.ready) return undefined;
    const age = now - current.at;
    if (age <= RELEASES_MAX_AGE_MS) return current.ready;
    if (age > RELEASES_MAX_AGE_MS + MAX_STALE_MS) return undefined;
    if (!this.releasesLoading && !(current.failedAt !== undefined && now - current.failedAt < RELEASE_RETRY_MS)) {
      void this.releaseList();
    }
    return current.ready;
  }

  private releaseList(): Promise<ReleaseInfo[]> {
    const current = this.releases;
    if (current && Date.now() - current.at <= RELEASES_MAX_AGE_MS) return current.list;
    // One reload at a time; meanwhile a list in memory answers (update information is a courtesy).
    if (this.releasesLoading) return current?.ready ? Promise.resolve(current.ready) : this.releasesLoading;
    const generation = this.releasesGeneration;
    const list = this.broker.call<ReleaseInfo[], Record<string, never>>('version.all', {});
    const loading = list.then(
      ready => {
        // A release published while this load ran dropped the lists: this one may predate it.
        if (generation !== this.releasesGeneration) return ready;
        this.releases = { list: Promise.resolve(ready), at: Date.now(), ready };
        this.releasesLoading = null;
        this.releasesFailing = false;
        return ready;
      },
      (err: Error) => {
        if (generation === this.releasesGeneration) {
          this.releasesLoading = null;
          if (this.releases) this.releases.failedAt = Date.now();
        }
        // Without it the license answer still stands: the last list, or none. Logged once per outage.
        if (!this.releasesFailing) {
          this.logger.warn('Release list unavailable for verify: answering with the last one', {
            message: err.message,
          });
        }
        this.releasesFailing = true;
        return this.releases?.ready ?? [];
      },
    );
    this.releasesLoading = loading;
    return current?.ready ? Promise.resolve(current.ready) : loading;
  }

  /**
   * update_available and latest_version for a client version, as a verify answer gives them (the
   * heartbeat's): from the release list in memory, or loaded.
   */
  updateFields(appVersion: string | undefined): UpdateAnswer | Promise<UpdateAnswer> {
    const releases = this.warmReleases(Date.now());
    if (releases) return this.updateAnswer(releases, appVersion);
    return this.releaseList().then(list => this.updateAnswer(list, appVersion));
  }

  /** Update fields per client version, computed once per release list (semver parsing is not free). */
  private updateAnswer(releases: ReleaseInfo[], appVersion: string | undefined): UpdateAnswer {
    if (this.updates?.list !== releases) this.updates = { list: releases, byVersion: new Map() };
    const key = appVersion ?? '';
    let answer = this.updates.byVersion.get(key);
    if (!answer) {
      answer = updateFor(releases, appVersion);
      if (this.updates.byVersion.size < UPDATE_MEMO_MAX) this.updates.byVersion.set(key, answer);
    }
    return answer;
  }

  private compose(
    view: LicenseView,
    releases: ReleaseInfo[],
    code: VerifyCode,
    appVersion: string | undefined,
  ): VerifyAnswer {
    const update = this.updateAnswer(releases, appVersion);
    const license = view.license;
    // Field order as in the reference's example answer.
    const answer: VerifyAnswer = { valid: code === 'VALID', code, message: VERIFY_MESSAGES[code] };
    if (license) {
      answer.license = { key: license.key, valid_until: dateOnly(license.valid_until), max_users: license.max_users };
    }
    answer.update_available = update.update_available;
    answer.latest_version = update.latest_version;
    return answer;
  }
}
