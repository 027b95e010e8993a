package dev.inflight.app;

import dev.inflight.client.Lease;
import dev.inflight.client.LeaseRequest;
import dev.inflight.client.LeaseTimeoutException;
import dev.inflight.client.Limiter;
import dev.inflight.client.Priority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/**
 * One simulated agent of the demo, in its own process: it takes a lease on a provider, "streams" a
 * response for a realistic random time, gives the lease back, thinks, and starts again. It stops on
 * SIGTERM (closing its limiter, so its leases go with it) and when the demo process is gone.
 *
 * <p>Arguments: {@code --home DIR --label NAME --seed N [--priority interactive|normal|batch]}.
 */
public final class DemoAgent {
  static final String[] PROVIDERS = {"openai", "anthropic", "llama-local"};

  private final String label;
  private final Priority priority;
  private final Random random;
  private volatile boolean running = true;

  DemoAgent(String label, long seed) {
    this(label, Priority.NORMAL, seed);
  }

  DemoAgent(String label, Priority priority, long seed) {
    this.label = label;
    this.priority = priority;
    this.random = new Random(seed);
  }

  public static void main(String[] args) throws Exception {
    Path home = null;
    String label = "agent";
    long seed = System.nanoTime();
    Priority priority = Priority.NORMAL;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--home" -> home = Path.of(args[i + 1]);
        case "--label" -> label = args[i + 1];
        case "--seed" -> seed = Long.parseLong(args[i + 1]);
        case "--priority" -> priority = Priority.parse(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
    Limiter limiter =
        (home == null ? Limiter.builder() : Limiter.builder().home(home).localDatabase())
            .processName("demo agent")
            .build();
    DemoAgent agent = new DemoAgent(label, priority, seed);
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.running = false;
                  main.interrupt();
                  limiter.close();
                },
                "demo-agent-stop"));
    agent.loop(limiter);
  }

  /** How often a simulated OpenAI request ends with a 429. */
  static final double RATE_LIMITED_SHARE = 0.02;

  /**
   * How long an agent waits for a lease before it gives up and picks again: a budget that binds
   * would otherwise gather every agent in its queue, and the rest of the demo would go still.
   */
  static final Duration PATIENCE = Duration.ofSeconds(20);

  void loop(Limiter limiter) {
    while (running) {
      String provider = pickProvider();
      LeaseRequest request =
          LeaseRequest.of(provider, pickModel(provider))
              .label(label)
              .priority(priority)
              .tokens(provider.equals("llama-local") ? -1 : 500 + 100L * random.nextInt(30));
      try (Lease lease = limiter.acquire(request, PATIENCE)) {
        Thread.sleep(requestMillis(provider));
        if (provider.equals("openai") && random.nextDouble() < RATE_LIMITED_SHARE) {
          // Now and then the provider says 429: every agent pauses, and the adaptive limit steps
          // down, then back up after a quiet period.
          lease.releaseRateLimited(Duration.ofSeconds(3 + random.nextInt(4)));
        }
      } catch (LeaseTimeoutException e) {
        continue;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (!running) {
          return;
        }
        System.err.println(label + ": " + e.getMessage());
      }
      try {
        Thread.sleep(thinkMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Planners and reviewers favour the big hosted models; sub-agents use the local one more. */
  String pickProvider() {
    double r = random.nextDouble();
    if (label.startsWith("subagent")) {
      return r < 0.35 ? "openai" : r < 0.6 ? "anthropic" : "llama-local";
    }
    return r < 0.45 ? "anthropic" : r < 0.85 ? "openai" : "llama-local";
  }

  /** Hosted requests name a model: half the big one (with its own pool), half the small one. */
  String pickModel(String provider) {
    boolean big = random.nextBoolean();
    return switch (provider) {
      case "openai" -> big ? "gpt-4o" : "gpt-4o-mini";
      case "anthropic" -> big ? "claude-sonnet" : "claude-haiku";
      default -> "";
    };
  }

  /** Log-normal around ~2 s (a streamed completion), the local model slower; 0.3 s to 15 s. */
  long requestMillis(String provider) {
    double median = provider.equals("llama-local") ? 3500 : 1800;
    double ms = median * Math.exp(0.6 * random.nextGaussian());
    return Math.round(Math.min(15_000, Math.max(300, ms)));
  }

  long thinkMillis() {
    return 300 + random.nextInt(2200);
  }
}
