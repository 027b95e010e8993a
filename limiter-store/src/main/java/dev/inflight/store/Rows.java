package dev.inflight.store;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Immutable rows and outcomes the engine returns. Times are milliseconds since the epoch. */
public final class Rows {
  private Rows() {}

  /**
   * A row of {@code limits}: a provider's own level. {@code maxInFlight}, {@code requestsPerMinute}
   * and {@code tokensPerMinute} are 0 where the row sets no such limit.
   */
  public record LimitRow(
      String provider,
      int maxInFlight,
      long cooldownMs,
      boolean paused,
      boolean adaptive,
      long updatedAtMs,
      int requestsPerMinute,
      long tokensPerMinute,
      long defaultTokens,
      long agingMs) {
    /** The aging interval of a provider that has no row, or a row that does not set it. */
    public static final long DEFAULT_AGING_MS = 30_000;

    /** A row with an in-flight cap only (no budgets, the default aging interval). */
    public LimitRow(
        String provider,
        int maxInFlight,
        long cooldownMs,
        boolean paused,
        boolean adaptive,
        long updatedAtMs) {
      this(
          provider,
          maxInFlight,
          cooldownMs,
          paused,
          adaptive,
          updatedAtMs,
          0,
          0,
          0,
          DEFAULT_AGING_MS);
    }
  }

  /**
   * A row of {@code model_limits}: a model's own pool inside its provider. Limits are 0 where the
   * row sets none.
   */
  public record ModelLimitRow(
      String provider,
      String model,
      int maxInFlight,
      int requestsPerMinute,
      long tokensPerMinute,
      long defaultTokens,
      long updatedAtMs) {}

  /**
   * A level's per-minute budget and what the rolling 60-second window holds now: requests started
   * and tokens reserved (or, once released, used). A limit of 0 is no limit.
   */
  public record Budget(int requestsPerMinute, long tokensPerMinute, int requests, long tokens) {
    public static final Budget NONE = new Budget(0, 0, 0, 0);

    public boolean any() {
      return requestsPerMinute > 0 || tokensPerMinute > 0;
    }

    /** This window after one more start that reserved {@code reserved} tokens. */
    public Budget plusStart(long reserved) {
      return new Budget(requestsPerMinute, tokensPerMinute, requests + 1, tokens + reserved);
    }
  }

  /**
   * What the provider last said remains of a level's budget, while it is in force: -1 where it said
   * nothing, or its reset time has passed.
   */
  public record Word(
      long requestsRemaining, long requestsResetAtMs, long tokensRemaining, long tokensResetAtMs) {
    public static final Word NONE = new Word(-1, 0, -1, 0);

    public boolean any() {
      return requestsRemaining >= 0 || tokensRemaining >= 0;
    }

    /** What remains after one more grant of {@code tokens} tokens at the level. */
    public Word afterGrant(long tokens) {
      if (!any()) {
        return this;
      }
      return new Word(
          requestsRemaining < 0 ? -1 : Math.max(0, requestsRemaining - 1),
          requestsResetAtMs,
          tokensRemaining < 0 ? -1 : Math.max(0, tokensRemaining - tokens),
          tokensResetAtMs);
    }
  }

  /**
   * One model level of a provider: its pool ({@code maxInFlight} 0 when it has no cap of its own),
   * the units its leases hold (held and cooling), its budget and the provider's word about it, and
   * when the oldest of its starts in the window leaves it (0 when none).
   */
  public record ModelState(
      String model,
      int maxInFlight,
      int inFlight,
      Budget budget,
      Word word,
      long defaultTokens,
      long windowChangesAtMs) {
    /** Units free at this level; {@link Integer#MAX_VALUE} when it has no cap. */
    public int free() {
      return maxInFlight == 0 ? Integer.MAX_VALUE : Math.max(0, maxInFlight - inFlight);
    }

    /**
     * This level after one more grant of {@code weight} units and {@code tokens} tokens; {@code
     * counted} when the grant wrote a ledger row (its window then holds one more start).
     */
    public ModelState afterGrant(int weight, long tokens, boolean counted) {
      return new ModelState(
          model,
          maxInFlight,
          inFlight + weight,
          counted ? budget.plusStart(tokens) : budget,
          word.afterGrant(tokens),
          defaultTokens,
          windowChangesAtMs);
    }
  }

  /** A registered client process, as others see it. */
  public record ProcessRow(long id, String host, long pid, String name) {
    /** A row that names no process (an orphan's owner). */
    public static ProcessRow unknown(long id, long pid) {
      return new ProcessRow(id, "", pid, "");
    }
  }

  /** A lease as others may see it (never its token). */
  public record LeaseRow(
      long id,
      String provider,
      ProcessRow owner,
      String label,
      long queuedAtMs,
      long acquiredAtMs,
      String model,
      int weight,
      long tokens) {
    /** A lease of the provider as a whole, of weight 1, that reserved no tokens. */
    public LeaseRow(
        long id,
        String provider,
        ProcessRow owner,
        String label,
        long queuedAtMs,
        long acquiredAtMs) {
      this(id, provider, owner, label, queuedAtMs, acquiredAtMs, "", 1, 0);
    }
  }

  /** A queued request; {@code position} is 1 for the head of its provider's queue. */
  public record WaiterRow(
      long ticket,
      String provider,
      ProcessRow owner,
      String label,
      long queuedAtMs,
      int position,
      String model,
      int weight,
      long tokens,
      Priority priority) {
    /** A request for the provider as a whole, of weight 1 and normal priority. */
    public WaiterRow(
        long ticket,
        String provider,
        ProcessRow owner,
        String label,
        long queuedAtMs,
        int position) {
      this(ticket, provider, owner, label, queuedAtMs, position, "", 1, 0, Priority.NORMAL);
    }
  }

  /**
   * How full a provider is at one instant. {@code limit} is empty when the provider has no row in
   * {@code limits} (unlimited).
   *
   * @param effectiveLimit the adaptive limit in force, when {@code adaptive} and below {@code
   *     limit}
   * @param pausedUntilMs when a 429 pause ends (0 when none is in force)
   * @param pauseReason why admission is paused until {@code pausedUntilMs} ({@link
   *     PauseReason#NONE} when not)
   * @param pauseText the words recorded with the pause ("" when none)
   * @param upstreamInFlight the provider's own in-flight count from a usage probe, while valid
   * @param upstreamHidden requests upstream counts that are not ours (0 unless a sample is valid)
   * @param upstreamValidUntilMs when the upstream sample stops counting (0 when none)
   * @param active units held by leases in use (a lease of weight 3 holds 3)
   * @param cooling units held by released leases that still cool
   * @param budget the provider level's per-minute budget and its window's use
   * @param word what the provider last said remains of its budget, while in force
   * @param defaultTokens the tokens a request that names none expects at this level
   * @param agingMs how long a queued request waits before it rises one priority class
   * @param windowChangesAtMs when the oldest start in the window leaves it (0 when none)
   * @param models the provider's model levels: those with a row in {@code model_limits} or a word
   */
  public record ProviderState(
      String provider,
      OptionalInt limit,
      long cooldownMs,
      boolean paused,
      int active,
      int cooling,
      int queued,
      long oldestQueuedAtMs,
      boolean adaptive,
      OptionalInt effectiveLimit,
      long pausedUntilMs,
      PauseReason pauseReason,
      String pauseText,
      OptionalInt upstreamInFlight,
      int upstreamHidden,
      long upstreamValidUntilMs,
      Budget budget,
      Word word,
      long defaultTokens,
      long agingMs,
      long windowChangesAtMs,
      List<ModelState> models) {

    public ProviderState {
      models = List.copyOf(models);
    }

    /** The model level named {@code model}, if it has a pool, a budget or a word of its own. */
    public java.util.Optional<ModelState> model(String model) {
      for (ModelState m : models) {
        if (m.model().equals(model)) {
          return java.util.Optional.of(m);
        }
      }
      return java.util.Optional.empty();
    }

    /**
     * This state after one more grant of {@code weight} units and {@code tokens} tokens for {@code
     * model}: what the grant's transaction would read back, without reading it.
     */
    public ProviderState afterGrant(String model, int weight, long tokens) {
      List<ModelState> ms = models;
      if (!models.isEmpty()) {
        ms = new java.util.ArrayList<>(models.size());
        for (ModelState m : models) {
          // The grant wrote a ledger row if either of its levels has a budget: both count it.
          ms.add(
              m.model().equals(model)
                  ? m.afterGrant(weight, tokens, budget.any() || m.budget().any())
                  : m);
        }
      }
      return with(
          active + weight,
          queued,
          budget.any() ? budget.plusStart(tokens) : budget,
          word.afterGrant(tokens),
          ms);
    }

    /**
     * This state after {@code leases} more units held and {@code waiters} more waiters, as a grant
     * or a queueing that touched no budget and no model level leaves it.
     */
    public ProviderState plus(int leases, int waiters) {
      return with(active + leases, queued + waiters, budget, word, models);
    }

    /** This state with its model levels read. */
    public ProviderState withModels(List<ModelState> levels) {
      return with(active, queued, budget, word, levels);
    }

    private ProviderState with(
        int active, int queued, Budget budget, Word word, List<ModelState> models) {
      return new ProviderState(
          provider,
          limit,
          cooldownMs,
          paused,
          active,
          cooling,
          queued,
          oldestQueuedAtMs,
          adaptive,
          effectiveLimit,
          pausedUntilMs,
          pauseReason,
          pauseText,
          upstreamInFlight,
          upstreamHidden,
          upstreamValidUntilMs,
          budget,
          word,
          defaultTokens,
          agingMs,
          windowChangesAtMs,
          models);
    }

    /** The limit grants obey now: the adaptive one when lower, else the configured one. */
    public OptionalInt limitInForce() {
      return effectiveLimit.isPresent() ? effectiveLimit : limit;
    }

    /** Whether a timed (429) pause is in force. */
    public boolean pausedByRateLimit() {
      return pausedUntilMs != 0;
    }

    /**
     * Slots that may be granted now: none while paused; else the limit in force, less what upstream
     * holds that is not ours, less our active and cooling leases, and never more than the limit
     * less the provider's own in-flight count.
     */
    public int free() {
      if (paused || pausedByRateLimit()) {
        return 0;
      }
      if (limit.isEmpty()) {
        return Integer.MAX_VALUE;
      }
      int lim = limitInForce().getAsInt();
      int f = lim - upstreamHidden - active - cooling;
      if (upstreamInFlight.isPresent()) {
        f = Math.min(f, lim - upstreamInFlight.getAsInt());
      }
      return Math.max(0, f);
    }
  }

  /** Whether a process's row was still there when it proved it was alive. */
  public enum Heartbeat {
    ALIVE,
    /**
     * The row is gone: another process reclaimed it, or someone deleted it. Its leases are lost.
     */
    GONE
  }

  /** What a usage sample changed: how many upstream requests were not ours at this sample. */
  public record UpstreamRecord(int hiddenNow, ProviderState state, List<Reclaimed> reclaimed) {}

  /** A point-in-time view of everything, as of {@code atMs}. */
  public record Snapshot(
      long atMs, List<ProviderState> providers, List<LeaseRow> leases, List<WaiterRow> waiters) {}

  /** Rows taken back from a process that died, stopped heart-beating, or from invalid rows. */
  public record Reclaimed(
      ProcessRow whose, ReclaimReason why, List<LeaseRow> leases, int waiters) {}

  /** What an acquisition attempt did, as of {@code atMs} (the transaction's time). */
  public record AcquireOutcome(
      Kind kind,
      long leaseId,
      long atMs,
      int position,
      ProviderState state,
      List<Reclaimed> reclaimed) {
    public enum Kind {
      GRANTED,
      QUEUED,
      BUSY,
      /**
       * The owner has no process row (it was reclaimed, or deleted by hand): nothing was written.
       * Register again, then ask again.
       */
      UNREGISTERED
    }
  }

  /** What a release did. */
  public record ReleaseOutcome(
      Kind kind, long leaseId, String provider, long atMs, long pausedUntilMs) {
    public enum Kind {
      /** The slot is free now. */
      RELEASED,
      /** The slot stays counted until the provider's cooldown ends. */
      COOLING,
      /** No lease has this token any more: it was reclaimed or force-released. */
      NOT_HELD
    }
  }

  /** What removing a waiter did. */
  public record CancelOutcome(Kind kind, long leaseId, long acquiredAtMs) {
    public enum Kind {
      CANCELLED,
      /** The request had already been granted: the caller now holds lease {@code leaseId}. */
      ALREADY_GRANTED,
      NOT_FOUND
    }
  }

  /** The state of one of a process's own requests. */
  public record TokenState(
      Kind kind, String provider, long leaseId, long acquiredAtMs, int position) {
    public enum Kind {
      GRANTED,
      QUEUED,
      /** Neither queued nor granted: the row was removed by someone else. */
      MISSING
    }
  }

  /**
   * A held lease and the process holding it, as the owner's row says: {@code ownerHostId} and
   * {@code ownerStartToken} tell whether a process of this host with pid {@code ownerPid} is that
   * holder.
   */
  public record HeldLease(
      long leaseId,
      String provider,
      String label,
      long acquiredAtMs,
      long ownerPid,
      String ownerHostId,
      String ownerStartToken,
      String model) {}

  /**
   * A queued request that a transaction turned into a lease, as its waker tells the request's owner
   * after the commit (see {@link Signals#onWake}).
   */
  public record Grant(String token, long leaseId, long acquiredAtMs) {}

  /** Another process on this host that a waiter depends on (it holds or waits ahead). */
  public record WatchTarget(long processId, long pid, String startToken) {}

  /**
   * What a waiting process needs to know after a change, as of {@code atMs}: the state of each of
   * its requests, of their providers, whether a write ({@link LeaseEngine#settle}) could grant
   * something, when time alone will next change the answer, and whom to watch.
   */
  public record WaitCheck(
      long atMs,
      Map<String, TokenState> tokens,
      Map<String, ProviderState> providers,
      boolean settleNeeded,
      long nextChangeAtMs,
      List<WatchTarget> watch) {}

  /**
   * A cheap look at some providers: which of the caller's requests hold a lease (as {@link
   * LeaseEngine#granted} reports them), the providers' states exactly as {@link
   * WaitCheck#providers()} reports them, and whether a settle could grant or reclaim something now.
   * Equal states and no grant mean that whatever was committed since (a heartbeat, another
   * provider's traffic) did not concern the caller.
   */
  public record Glance(
      Map<String, TokenState> granted,
      Map<String, ProviderState> providers,
      boolean settleNeeded) {}
}
