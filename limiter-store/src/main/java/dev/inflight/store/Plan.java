package dev.inflight.store;

import dev.inflight.store.Rows.Budget;
import dev.inflight.store.Rows.ModelState;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Word;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The admission rules of schema V4, for one provider's queue, independent of any engine: which
 * queued requests a settle grants now. An engine reads the provider's state, then offers the queued
 * requests in {@link #rank} order; the plan answers each with {@link Decision}. See
 * migrations/README.md ("Admission").
 *
 * <p>A request counts against its provider's level and, when its model has a level of its own,
 * against that too; it is granted only when every one of its levels has room for its weight, one
 * more start in each per-minute budget, its tokens in each token budget, and what the provider said
 * remains. A request that does not fit blocks the levels where it lacks room: no later request
 * takes capacity there, but a later request that uses none of them may go ahead. A request heavier
 * than a level's cap counts as the whole cap there (it is granted when the level is empty), and one
 * expecting more tokens than a token budget counts as the whole budget, so that a limit lowered
 * below a waiting request never wedges the queue.
 *
 * <p>Not thread-safe: one plan per settle.
 */
public final class Plan {

  /** One queued request, as the plan needs it. */
  public record Want(String model, int weight, long tokens) {}

  /** What the plan says of one request offered to it. */
  public enum Decision {
    /** Granted: the engine writes its lease, and the plan has counted it. */
    GRANT,
    /** Not now; later requests may still be granted. */
    WAIT,
    /** Not now, and no later request of this provider can be granted now either. */
    STOP
  }

  /**
   * A budget that keeps a request waiting: at level {@code model} ("" the provider), the window
   * must first lose {@code requests} starts and {@code tokens} tokens.
   */
  public record BudgetNeed(String model, int requests, long tokens) {}

  private final Level provider;
  private final Map<String, Level> models = new HashMap<>();
  private final List<BudgetNeed> needs = new ArrayList<>(1);
  private long wordResetAtMs = Long.MAX_VALUE;

  /** A plan from the provider's state as this transaction read it. */
  public Plan(ProviderState st) {
    int cap = st.limitInForce().orElse(0);
    provider = new Level("", cap, st.free(), st.budget(), st.word());
    for (ModelState m : st.models()) {
      models.put(m.model(), new Level(m.model(), m.maxInFlight(), m.free(), m.budget(), m.word()));
    }
  }

  /**
   * What {@code r} takes, with its tokens resolved (a request that names none expects its model
   * level's default, else its provider's), checked against the levels it counts against.
   *
   * @throws IllegalArgumentException naming the parameter, the rule and the value, when the weight
   *     is above a level's in-flight limit or the tokens are above a level's token budget: such a
   *     request could never be granted as asked
   */
  public static Want want(ProviderState st, AcquireRequest r) {
    ModelState m = r.model().isEmpty() ? null : st.model(r.model()).orElse(null);
    long tokens = r.tokens();
    if (tokens < 0) {
      tokens = m != null && m.defaultTokens() > 0 ? m.defaultTokens() : st.defaultTokens();
    }
    String key = r.model().isEmpty() ? st.provider() : st.provider() + "/" + r.model();
    if (st.limit().isPresent() && r.weight() > st.limit().getAsInt()) {
      throw tooMuch(
          "weight",
          r.weight(),
          "the in-flight limit of " + st.provider(),
          st.limit().getAsInt(),
          key);
    }
    if (m != null && m.maxInFlight() > 0 && r.weight() > m.maxInFlight()) {
      throw tooMuch("weight", r.weight(), "the in-flight limit of " + key, m.maxInFlight(), key);
    }
    long tpm = st.budget().tokensPerMinute();
    if (tpm > 0 && tokens > tpm) {
      throw tooMuch("tokens", tokens, "the tokens_per_minute budget of " + st.provider(), tpm, key);
    }
    if (m != null && m.budget().tokensPerMinute() > 0 && tokens > m.budget().tokensPerMinute()) {
      throw tooMuch(
          "tokens",
          tokens,
          "the tokens_per_minute budget of " + key,
          m.budget().tokensPerMinute(),
          key);
    }
    return new Want(r.model(), r.weight(), tokens);
  }

  private static IllegalArgumentException tooMuch(
      String parameter, long value, String what, long limit, String key) {
    return new IllegalArgumentException(
        parameter
            + " must be at most "
            + what
            + " ("
            + limit
            + "), or the request for "
            + key
            + " could never be granted (was "
            + value
            + ")");
  }

  /**
   * The class a request is served in after waiting {@code waitedMs}: its own class's rank (0
   * interactive, 1 normal, 2 batch), less one for every full {@code agingMs} it waited, and never
   * below 0. A queue is served by this rank, then by ticket (arrival order). A wait read as
   * negative (a clock stepped back) counts as none.
   */
  public static int rank(Priority priority, long waitedMs, long agingMs) {
    long aged = waitedMs <= 0 || agingMs <= 0 ? 0 : waitedMs / agingMs;
    return (int) Math.max(0, priority.ordinal() - Math.min(aged, Priority.values().length));
  }

  /** Decides one request; requests must be offered in {@link #rank} order, then ticket order. */
  public Decision offer(Want w) {
    Level m = models.get(w.model());
    if (provider.blocked) {
      return Decision.STOP;
    }
    if (m != null && m.blocked) {
      return Decision.WAIT;
    }
    boolean pFits = provider.fits(w);
    boolean mFits = m == null || m.fits(w);
    if (pFits && mFits) {
      provider.take(w);
      if (m != null) {
        m.take(w);
      }
      return Decision.GRANT;
    }
    if (!pFits) {
      block(provider, w);
    }
    if (!mFits) {
      block(m, w);
    }
    return provider.blocked ? Decision.STOP : Decision.WAIT;
  }

  /**
   * The budgets that keep the first blocked request of each level waiting: what the window must
   * lose before it can be granted (a waiter sleeps until then, without polling).
   */
  public List<BudgetNeed> budgetNeeds() {
    return List.copyOf(needs);
  }

  /**
   * When the earliest provider's word that blocks a request resets ({@link Long#MAX_VALUE} when
   * none does).
   */
  public long wordResetAtMs() {
    return wordResetAtMs;
  }

  /**
   * Whether a request of {@code weight} and {@code tokens} is granted by nobody ahead of it now.
   */
  public boolean fitsNow(Want w) {
    Level m = models.get(w.model());
    return !provider.blocked && provider.fits(w) && (m == null || (!m.blocked && m.fits(w)));
  }

  private void block(Level level, Want w) {
    level.blocked = true;
    int requests =
        level.rpm > 0 && level.requests + 1 > level.rpm ? level.requests + 1 - level.rpm : 0;
    long tokens =
        level.tpm > 0 && level.tokens + level.tokenCost(w) > level.tpm
            ? level.tokens + level.tokenCost(w) - level.tpm
            : 0;
    if (requests > 0 || tokens > 0) {
      needs.add(new BudgetNeed(level.model, requests, tokens));
    }
    if (level.wordRequests == 0 && level.wordRequestsReset > 0) {
      wordResetAtMs = Math.min(wordResetAtMs, level.wordRequestsReset);
    }
    if (level.wordTokens >= 0 && level.wordTokens < w.tokens()) {
      wordResetAtMs = Math.min(wordResetAtMs, level.wordTokensReset);
    }
  }

  /** One level's room, counted down as the plan grants. */
  private static final class Level {
    final String model;
    final int cap;
    int free;
    final int rpm;
    final long tpm;
    int requests;
    long tokens;
    long wordRequests;
    final long wordRequestsReset;
    long wordTokens;
    final long wordTokensReset;
    boolean blocked;

    Level(String model, int cap, int free, Budget budget, Word word) {
      this.model = model;
      this.cap = cap;
      this.free = free;
      this.rpm = budget.requestsPerMinute();
      this.tpm = budget.tokensPerMinute();
      this.requests = budget.requests();
      this.tokens = budget.tokens();
      this.wordRequests = word.requestsRemaining();
      this.wordRequestsReset = word.requestsResetAtMs();
      this.wordTokens = word.tokensRemaining();
      this.wordTokensReset = word.tokensResetAtMs();
    }

    int unitCost(Want w) {
      return cap > 0 ? Math.min(w.weight(), cap) : w.weight();
    }

    long tokenCost(Want w) {
      return tpm > 0 ? Math.min(w.tokens(), tpm) : w.tokens();
    }

    boolean fits(Want w) {
      return free >= unitCost(w)
          && (rpm == 0 || requests + 1 <= rpm)
          && (tpm == 0 || tokens + tokenCost(w) <= tpm)
          && (wordRequests < 0 || wordRequests >= 1)
          && (wordTokens < 0 || wordTokens >= w.tokens());
    }

    void take(Want w) {
      if (free != Integer.MAX_VALUE) {
        free -= unitCost(w);
      }
      requests++;
      tokens += w.tokens();
      if (wordRequests > 0) {
        wordRequests--;
      }
      if (wordTokens >= 0) {
        wordTokens = Math.max(0, wordTokens - w.tokens());
      }
    }
  }
}
