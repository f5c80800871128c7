package dev.connpool.benchmarks.report;

import dev.connpool.benchmarks.LeakDetectionCost;
import dev.connpool.benchmarks.PoolShape;
import dev.connpool.benchmarks.VirtualThreadCrew;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.openjdk.jmh.annotations.Threads;

/**
 * Turns JMH's JSON results into the Markdown tables (with the targets of the benchmark issue
 * checked, as ratios within the same run) and the chart of {@code docs/benchmarks/}. Run by
 * {@code run.sh} after JMH:
 *
 * <pre>
 * java -cp benchmarks.jar dev.connpool.benchmarks.report.Report --json results.json --out DIR
 *      [--readme README.md] [--smoke] [--load "1.0 0.8 0.5"] [--command "run.sh ..."]
 * </pre>
 *
 * With {@code --readme}, the part of that file between {@value #BEGIN} and {@value #END} is
 * replaced by the results, so the document's prose stays hand-written and its numbers never go
 * stale.
 */
public final class Report {

    static final String BEGIN = "<!-- results:begin -->";
    static final String END = "<!-- results:end -->";

    /** The four peers: connpool's targets are ratios to the fastest of these. */
    private static final List<String> PEERS = List.of("stormpot", "hikariBag", "vibur", "commonsPool2");
    /** Every other pool of a service scenario, the hand-written queue included: it is what users would write. */
    private static final List<String> SERVICE_PEERS =
            List.of("stormpot", "hikariBag", "vibur", "commonsPool2", "arrayBlockingQueue");
    /** Scenarios of pool overhead, in table order. */
    private static final List<String> OVERHEAD =
            List.of("Sequential", "Parallel", "Contended", "HealthChecked", "HealthCheckedWindow");
    /** What a table or target says of a scenario absent from the JSON, e.g. an older run's. */
    private static final String NOT_MEASURED = "not measured in this run";
    /** A pool's cell in a scenario that ran without it. */
    private static final String NO_RESULT = "no result: failed or not run (see JMH's log)";
    /** Percentiles of the saturated service's latency table, as JMH names them. */
    private static final List<String> SATURATED_PERCENTILES = List.of("50.0", "90.0", "99.0", "99.9", "100.0");

    private final List<Result> results;
    /** Pools in table order: benchmark method name, label with version. */
    private final Map<String, String> pools = new LinkedHashMap<>();
    private final Map<String, Object> run;
    private final boolean smoke;
    private final String load;
    private final String command;

    private Report(List<Result> results, Map<String, Object> run, boolean smoke, String load, String command) {
        this.results = results;
        this.run = run;
        this.smoke = smoke;
        this.load = load;
        this.command = command;
        pools.put("connpool", "connpool");
        pools.put("stormpot", "Stormpot " + version("com.github.chrisvest", "stormpot"));
        pools.put("hikariBag", "HikariCP " + version("com.zaxxer", "HikariCP") + " ConcurrentBag");
        pools.put("vibur", "Vibur " + version("org.vibur", "vibur-object-pool"));
        pools.put("commonsPool2", "Commons Pool " + version("org.apache.commons", "commons-pool2"));
        pools.put("arrayBlockingQueue", "ArrayBlockingQueue");
    }

    /**
     * Writes {@code results.md} and {@code chart.png} into the output folder, and the results
     * block of the README if given.
     *
     * @param args see the class comment
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path json = null;
        Path out = null;
        Path readme = null;
        boolean smoke = false;
        String load = null;
        String command = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json": json = Path.of(args[++i]); break;
                case "--out": out = Path.of(args[++i]); break;
                case "--readme": readme = Path.of(args[++i]); break;
                case "--smoke": smoke = true; break;
                case "--load": load = args[++i]; break;
                case "--command": command = args[++i]; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (json == null || out == null) {
            throw new IllegalArgumentException("usage: Report --json FILE --out DIR [--readme FILE] [--smoke] "
                    + "[--load TEXT] [--command TEXT]");
        }
        List<Object> raw = Json.array(Json.parse(Files.readString(json, StandardCharsets.UTF_8)));
        if (raw.isEmpty()) {
            throw new IllegalStateException(json + " holds no results: did every benchmark fail?");
        }
        List<Result> results = new ArrayList<>();
        for (Object o : raw) {
            results.add(toResult(Json.object(o)));
        }
        Report report = new Report(results, Json.object(raw.get(0)), smoke, load, command);

        Files.createDirectories(out);
        boolean chart = report.chart(out.resolve("chart.png"));
        String body = report.markdown(chart);
        Files.writeString(out.resolve("results.md"), "# connpool benchmark results\n\n"
                + "Generated by `connpool-benchmarks/run.sh` from `results.json`; method and scenarios are in "
                + "[README.md](README.md).\n\n" + body, StandardCharsets.UTF_8);
        if (readme != null) {
            report.updateReadme(readme, body);
        }
        System.out.println(report.summary());
    }

    private static Result toResult(Map<String, Object> b) {
        String name = (String) b.get("benchmark");
        String[] parts = name.split("\\.");
        String scenario = parts[parts.length - 2];
        String pool = parts[parts.length - 1];
        Map<String, Object> primary = Json.object(b.get("primaryMetric"));
        String mode = (String) b.get("mode");
        String unit = (String) primary.get("scoreUnit");
        double scale = "thrpt".equals(mode) ? toPerMilli(unit) : toNanos(unit);
        Map<String, Double> percentiles = new LinkedHashMap<>();
        if ("sample".equals(mode)) {
            Json.object(primary.get("scorePercentiles"))
                    .forEach((p, v) -> percentiles.put(p, Json.number(v) * scale));
        }
        double alloc = Double.NaN;
        for (Map.Entry<String, Object> m : Json.object(b.get("secondaryMetrics")).entrySet()) {
            if (m.getKey().endsWith("gc.alloc.rate.norm")) {
                alloc = Json.number(Json.object(m.getValue()).get("score"));
            }
        }
        return new Result(scenario, pool, mode, (int) Json.number(b.get("threads")),
                Json.number(primary.get("score")) * scale, Json.number(primary.get("scoreError")) * scale,
                alloc, percentiles);
    }

    private static double toNanos(String unit) {
        if (unit == null) {
            return 1;
        }
        if (unit.startsWith("ns")) {
            return 1;
        }
        if (unit.startsWith("us")) {
            return 1e3;
        }
        if (unit.startsWith("ms")) {
            return 1e6;
        }
        if (unit.startsWith("s/")) {
            return 1e9;
        }
        throw new IllegalArgumentException("a time per operation was expected, not " + unit);
    }

    /** The factor that turns a throughput in {@code unit} (JMH's "ops/s", "ops/ms", ...) into ops/ms. */
    private static double toPerMilli(String unit) {
        if (unit == null || unit.equals("ops/ms")) {
            return 1;
        }
        switch (unit) {
            case "ops/ns": return 1e6;
            case "ops/us": return 1e3;
            case "ops/s": return 1e-3;
            case "ops/min": return 1.0 / 60_000;
            default: throw new IllegalArgumentException("operations per unit of time were expected, not " + unit);
        }
    }

    // =====================================================================================
    // Markdown
    // =====================================================================================

    private String markdown(boolean chart) {
        StringBuilder md = new StringBuilder();
        String forks = str(run.get("forks"));
        String warmup = str(run.get("warmupIterations")) + " × " + str(run.get("warmupTime"));
        String measure = str(run.get("measurementIterations")) + " × " + str(run.get("measurementTime"));
        String when = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        if (smoke) {
            md.append("> **Smoke run** (`--quick`: ").append(forks).append(" fork, ").append(warmup)
                    .append(" warm-up, ").append(measure).append(" measurement). These numbers only show that ")
                    .append("every benchmark runs: they are noisy (see the load average below) and not to be quoted. ")
                    .append("The full run ")
                    .append("(`connpool-benchmarks/run.sh`, on an otherwise idle machine) replaces them.\n\n");
        }
        md.append("#### Run\n\n");
        md.append("| | |\n| --- | --- |\n");
        md.append("| date | ").append(when).append(" |\n");
        if (command != null) {
            // a benchmark regex may hold '|', which would end the table cell
            md.append("| command | `").append(command.replace("|", "\\|")).append("` |\n");
        }
        md.append("| CPU | ").append(Machine.cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores (nproc) |\n");
        md.append("| memory | ").append(Machine.memory()).append(" |\n");
        md.append("| clock source | ").append(Machine.clockSource()).append(" |\n");
        md.append("| OS | ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(" |\n");
        md.append("| JDK | ").append(str(run.get("jdkVersion"))).append(", ").append(str(run.get("vmName")))
                .append(' ').append(str(run.get("vmVersion"))).append(" |\n");
        md.append("| JVM options | `").append(String.join(" ", strings(run.get("jvmArgs")))).append("` |\n");
        md.append("| JMH | ").append(str(run.get("jmhVersion"))).append(": ").append(forks).append(" fork(s), warm-up ")
                .append(warmup).append(", measurement ").append(measure).append(", `-prof gc` |\n");
        if (load != null) {
            md.append("| load average (1, 5, 15 min) | ").append(load).append(" before, ").append(Machine.loadAverage())
                    .append(" after |\n");
        }
        md.append("| peers | ").append(String.join(", ", pools.values().stream().skip(1).toList())).append(" |\n");
        md.append('\n');

        saturatedTable(md);
        targets(md);
        virtualThreadsTable(md);
        overheadTable(md);
        allocationTable(md);
        leakDetectionTable(md);
        latencyTable(md);
        endToEndTable(md);
        Result clock = find("Clock", "systemNanoTime", "avgt");
        if (clock != null) {
            md.append("For scale: one `System.nanoTime()` costs ").append(time(clock.score(), clock.error()))
                    .append(" on this machine (`Clock.systemNanoTime`).\n\n");
        }
        if (chart) {
            md.append("![ns per get+release per thread, by scenario and pool (log scale)](chart.png)\n");
        } else {
            md.append("(No chart: see run.sh's output for why it was not drawn.)\n");
        }
        return md.toString();
    }

    private void targets(StringBuilder md) {
        md.append("#### Targets\n\n");
        md.append("| target | measured | verdict |\n| --- | --- | --- |\n");
        saturatedTargets(md);
        virtualThreadsTarget(md);
        for (String s : List.of("Sequential", "Parallel", "Contended")) {
            Result c = find(s, "connpool", "avgt");
            Result peer = fastestPeer(s, "avgt");
            String what = "connpool ≤ 1.0× the fastest peer, " + label(s);
            if (c == null || peer == null) {
                md.append("| ").append(what).append(" | not run | – |\n");
                continue;
            }
            double ratio = c.score() / peer.score();
            md.append("| ").append(what).append(" | ").append(time(c.score())).append(" vs ")
                    .append(pools.get(peer.pool())).append(' ').append(time(peer.score())).append(": **")
                    .append(ratio(ratio)).append("** | ").append(verdict(ratio <= 1.0)).append(" |\n");
        }
        Result plain = find("Sequential", "connpool", "avgt");
        Result checked = find("HealthChecked", "connpool", "avgt");
        if (plain != null && checked != null) {
            double added = checked.score() - plain.score();
            md.append("| `liveness()` adds < 2 µs per get | ").append(time(checked.score()))
                    .append(" − ").append(time(plain.score())).append(" = **").append(time(added))
                    .append("** | ").append(verdict(added < 2_000)).append(" |\n");
        } else {
            md.append("| `liveness()` adds < 2 µs per get | not run | – |\n");
        }
        Result window = find("HealthCheckedWindow", "connpool", "avgt");
        String windowTarget = "`liveness()` after 500 ms idle ≤ 1.5× the unchecked get, on a hot connection";
        if (plain != null && window != null) {
            double r = window.score() / plain.score();
            md.append("| ").append(windowTarget).append(" | ").append(time(window.score())).append(" vs ")
                    .append(time(plain.score())).append(": **").append(ratio(r)).append("** | ")
                    .append(verdict(r <= 1.5)).append(" |\n");
        } else {
            md.append("| ").append(windowTarget).append(" | ").append(NOT_MEASURED)
                    .append(window != null ? " (it is compared with `Sequential.connpool`)" : "").append(" | – |\n");
        }
        Result sample = find("Contended", "connpool", "sample");
        if (sample != null) {
            double p50 = sample.percentile("50.0");
            double p99 = sample.percentile("99.0");
            md.append("| no collapse: contended p99 ≤ 20× its median | p50 ").append(time(p50))
                    .append(", p99 ").append(time(p99)).append(": **").append(ratio(p99 / p50))
                    .append("** | ").append(verdict(p99 / p50 <= 20)).append(" |\n");
        } else {
            md.append("| no collapse: contended p99 ≤ 20× its median | not run | – |\n");
        }
        for (String s : List.of("Sequential", "Parallel")) {
            Result c = find(s, "connpool", "avgt");
            String what = "0 B/op without health check, " + label(s);
            if (c == null || Double.isNaN(c.bytesPerOp())) {
                md.append("| ").append(what).append(" | not measured | – |\n");
            } else {
                md.append("| ").append(what).append(" | ").append(bytes(c.bytesPerOp())).append(" | ")
                        .append(verdict(c.bytesPerOp() < 0.5)).append(" |\n");
            }
        }
        md.append('\n');
    }

    /**
     * The saturated service's targets (DESIGN §7.2), as the issue that set them computes them:
     * connpool's throughput against the highest throughput of every other pool in the run, the
     * {@code ArrayBlockingQueue} included, and connpool's p99.9 against the lowest p99.9 of them.
     */
    private void saturatedTargets(StringBuilder md) {
        String throughputTarget = "saturated service: throughput ≥ 1.0× the best of the others";
        String tailTarget = "saturated service: p99.9 ≤ 0.2× the lowest p99.9 of the others";
        Result c = find("Saturated", "connpool", "thrpt");
        Result peer = bestThroughputPeer("Saturated");
        if (c == null || peer == null) {
            md.append("| ").append(throughputTarget).append(" | ").append(NOT_MEASURED).append(" | – |\n");
            md.append("| ").append(tailTarget).append(" | ").append(NOT_MEASURED).append(" | – |\n");
            return;
        }
        double r = c.score() / peer.score();
        md.append("| ").append(throughputTarget).append(" | ").append(perMilli(c.score())).append(" vs ")
                .append(pools.get(peer.pool())).append(' ').append(perMilli(peer.score())).append(": **")
                .append(ratio(r)).append("** | ").append(verdict(r >= 1.0)).append(" |\n");
        Result cs = find("Saturated", "connpool", "sample");
        Result ps = bestTailPeer("Saturated");
        if (cs == null || ps == null) {
            md.append("| ").append(tailTarget).append(" | ").append(NOT_MEASURED).append(" | – |\n");
            return;
        }
        double tail = cs.percentile("99.9") / ps.percentile("99.9");
        md.append("| ").append(tailTarget).append(" | ").append(time(cs.percentile("99.9"))).append(" vs ")
                .append(pools.get(ps.pool())).append(' ').append(time(ps.percentile("99.9"))).append(": **")
                .append(ratio(tail)).append("** | ").append(verdict(tail <= 0.2)).append(" |\n");
    }

    private void virtualThreadsTarget(StringBuilder md) {
        String what = "virtual threads: throughput ≥ 1.0× HikariCP's bag";
        Result c = find("VirtualThreads", "connpool", "thrpt");
        Result bag = find("VirtualThreads", "hikariBag", "thrpt");
        if (c == null || bag == null) {
            md.append("| ").append(what).append(" | ").append(notMeasured("VirtualThreads")).append(" | – |\n");
            return;
        }
        double r = c.score() / bag.score();
        md.append("| ").append(what).append(" | ").append(perMilli(c.score())).append(" vs ")
                .append(perMilli(bag.score())).append(": **").append(ratio(r)).append("** | ")
                .append(verdict(r >= 1.0)).append(" |\n");
    }

    private void saturatedTable(StringBuilder md) {
        md.append("#### ").append(label("Saturated")).append(": one 8-byte echo round trip per get\n\n");
        if (results.stream().noneMatch(r -> r.scenario().equals("Saturated"))) {
            md.append(capitalized(NOT_MEASURED)).append(".\n\n");
            return;
        }
        md.append("Requests per millisecond, all threads together (Throughput; higher is better), and the time "
                + "of one request from get to release (SampleTime; lower is better).\n\n");
        md.append("| pool | throughput | p50 | p90 | p99 | p99.9 | max | B/op |\n"
                + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map.Entry<String, String> p : pools.entrySet()) {
            Result t = find("Saturated", p.getKey(), "thrpt");
            Result l = find("Saturated", p.getKey(), "sample");
            if (t == null && l == null) {
                // a pool may fail here (Stormpot's claims can time out): say so rather than drop the row
                md.append("| ").append(p.getValue()).append(" | ").append(NO_RESULT)
                        .append(" | – | – | – | – | – | – |\n");
                continue;
            }
            boolean us = p.getKey().equals("connpool");
            md.append("| ").append(p.getValue()).append(" | ")
                    .append(t == null ? "–" : emphasized(perMilli(t.score(), t.error()), us));
            for (String q : SATURATED_PERCENTILES) {
                md.append(" | ").append(l == null ? "–" : emphasized(time(l.percentile(q)), us));
            }
            md.append(" | ").append(t == null ? "–" : bytes(t.bytesPerOp())).append(" |\n");
        }
        Result c = find("Saturated", "connpool", "thrpt");
        Result peer = bestThroughputPeer("Saturated");
        if (c != null && peer != null) {
            md.append("\nconnpool ÷ the highest throughput of the others (").append(pools.get(peer.pool()))
                    .append("): **").append(ratio(c.score() / peer.score())).append("**");
            Result cs = find("Saturated", "connpool", "sample");
            Result ps = bestTailPeer("Saturated");
            if (cs != null && ps != null) {
                md.append("; connpool's p99.9 ÷ the lowest p99.9 of the others (").append(pools.get(ps.pool()))
                        .append("): **").append(ratio(cs.percentile("99.9") / ps.percentile("99.9"))).append("**");
            }
            md.append(".\n");
        }
        md.append('\n');
    }

    private void virtualThreadsTable(StringBuilder md) {
        md.append("#### ").append(label("VirtualThreads")).append(": one 8-byte echo round trip per get\n\n");
        if (results.stream().noneMatch(r -> r.scenario().equals("VirtualThreads"))) {
            md.append(capitalized(notMeasured("VirtualThreads"))).append(".\n\n");
            return;
        }
        md.append("Requests per millisecond, all virtual threads together (Throughput; higher is better).\n\n");
        md.append("| pool | throughput | connpool ÷ pool |\n| --- | ---: | ---: |\n");
        Result c = find("VirtualThreads", "connpool", "thrpt");
        for (Map.Entry<String, String> p : pools.entrySet()) {
            Result t = find("VirtualThreads", p.getKey(), "thrpt");
            if (t == null) {
                md.append("| ").append(p.getValue()).append(" | ").append(NO_RESULT).append(" | – |\n");
                continue;
            }
            boolean us = p.getKey().equals("connpool");
            md.append("| ").append(p.getValue()).append(" | ").append(emphasized(perMilli(t.score(), t.error()), us))
                    .append(" | ").append(us || c == null ? "–" : ratio(c.score() / t.score())).append(" |\n");
        }
        md.append('\n');
    }

    /** Why a scenario has no results: for virtual threads, a JDK before 21 is the usual reason. */
    private String notMeasured(String scenario) {
        if (scenario.equals("VirtualThreads") && jdkFeature() > 0 && jdkFeature() < 21) {
            return NOT_MEASURED + " (it needs JDK 21+; this run used JDK " + str(run.get("jdkVersion")) + ")";
        }
        return NOT_MEASURED;
    }

    /** The JDK's feature release, from the run's "jdkVersion" ("17.0.15", "25", "1.8.0_400"); 0 if unknown. */
    private int jdkFeature() {
        String[] v = str(run.get("jdkVersion")).split("[.+_-]");
        try {
            int first = Integer.parseInt(v[0]);
            return first == 1 && v.length > 1 ? Integer.parseInt(v[1]) : first;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void overheadTable(StringBuilder md) {
        md.append("#### Pool overhead: ns per get + release, per thread (average ± 99.9% CI; lower is better)\n\n");
        header(md, "scenario", pools.values(), "connpool ÷ fastest peer");
        for (String s : OVERHEAD) {
            if (results.stream().noneMatch(r -> r.scenario().equals(s))) {
                continue;
            }
            md.append("| ").append(label(s)).append(" |");
            for (String p : pools.keySet()) {
                Result r = find(s, p, "avgt");
                String cell = r == null ? "–" : time(r.score(), r.error());
                md.append(' ').append(p.equals("connpool") ? bold(cell) : cell).append(" |");
            }
            Result c = find(s, "connpool", "avgt");
            Result peer = fastestPeer(s, "avgt");
            md.append(' ').append(c == null || peer == null ? "–"
                    : ratio(c.score() / peer.score()) + " (" + pools.get(peer.pool()) + ")").append(" |\n");
        }
        md.append('\n');
    }

    private void allocationTable(StringBuilder md) {
        if (results.stream().allMatch(r -> Double.isNaN(r.bytesPerOp()))) {
            return;
        }
        md.append("#### Allocation: bytes per get + release (`-prof gc`, gc.alloc.rate.norm)\n\n");
        header(md, "scenario", pools.values(), null);
        for (String s : OVERHEAD) {
            if (results.stream().noneMatch(r -> r.scenario().equals(s))) {
                continue;
            }
            md.append("| ").append(label(s)).append(" |");
            for (String p : pools.keySet()) {
                Result r = find(s, p, "avgt");
                md.append(' ').append(r == null ? "–" : bytes(r.bytesPerOp())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /**
     * Leak detection's cost (issue 12): connpool's get + release with it off ({@code Sequential},
     * {@code Parallel}) and on ({@code SequentialLeakDetection}, {@code ParallelLeakDetection}). Off
     * must match the runs from before leak detection existed; that comparison is across runs, so it
     * is left to the reader of both (this run's off column against the previous results.json).
     */
    private void leakDetectionTable(StringBuilder md) {
        if (results.stream().noneMatch(r -> r.scenario().endsWith("LeakDetection"))) {
            return;
        }
        md.append("#### Leak detection: connpool's ns per get + release, off and on (threshold ")
                .append(LeakDetectionCost.THRESHOLD_MILLIS / 1000).append(" s, never reached)\n\n");
        md.append("| scenario | off | on | on − off | B/op off | B/op on |\n| --- | --- | --- | --- | --- | --- |\n");
        for (String s : List.of("Sequential", "Parallel")) {
            Result off = find(s, "connpool", "avgt");
            Result on = find(s + "LeakDetection", "connpool", "avgt");
            if (off == null && on == null) {
                continue;
            }
            md.append("| ").append(label(s)).append(" | ")
                    .append(off == null ? "–" : time(off.score(), off.error())).append(" | ")
                    .append(on == null ? "–" : time(on.score(), on.error())).append(" | ")
                    .append(off == null || on == null ? "–" : time(on.score() - off.score())).append(" | ")
                    .append(off == null ? "–" : bytes(off.bytesPerOp())).append(" | ")
                    .append(on == null ? "–" : bytes(on.bytesPerOp())).append(" |\n");
        }
        md.append('\n');
    }

    private void latencyTable(StringBuilder md) {
        if (results.stream().noneMatch(r -> r.scenario().equals("Contended") && r.mode().equals("sample"))) {
            return;
        }
        md.append("#### Contended (8 threads, 2 connections): latency of one get + release (SampleTime)\n\n");
        md.append("| pool | p50 | p90 | p99 | p99.9 | max | p99 ÷ p50 |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, String> p : pools.entrySet()) {
            Result r = find("Contended", p.getKey(), "sample");
            if (r == null) {
                continue;
            }
            md.append("| ").append(p.getValue());
            for (String q : List.of("50.0", "90.0", "99.0", "99.9", "100.0")) {
                md.append(" | ").append(time(r.percentile(q)));
            }
            md.append(" | ").append(ratio(r.percentile("99.0") / r.percentile("50.0"))).append(" |\n");
        }
        md.append('\n');
    }

    private void endToEndTable(StringBuilder md) {
        if (results.stream().noneMatch(r -> r.scenario().equals("EndToEnd"))) {
            return;
        }
        md.append("#### End to end: one 1-byte echo round trip over loopback, per request\n\n");
        md.append("| pool | time per request | B/op |\n| --- | --- | --- |\n");
        Map<String, String> rows = new LinkedHashMap<>(pools);
        rows.put("newConnection", "no pool: new connection per request");
        Result fresh = find("EndToEnd", "newConnection", "avgt");
        for (Map.Entry<String, String> p : rows.entrySet()) {
            Result r = find("EndToEnd", p.getKey(), "avgt");
            if (r == null) {
                continue;
            }
            md.append("| ").append(p.getValue()).append(" | ").append(time(r.score(), r.error())).append(" | ")
                    .append(bytes(r.bytesPerOp())).append(" |\n");
        }
        Result c = find("EndToEnd", "connpool", "avgt");
        if (c != null && fresh != null) {
            md.append("\nA pooled connection makes a request ").append(ratio(fresh.score() / c.score()))
                    .append(" faster than a new connection per request.\n");
        }
        md.append('\n');
    }

    private static void header(StringBuilder md, String first, Iterable<String> columns, String last) {
        StringBuilder sep = new StringBuilder("| --- |");
        md.append("| ").append(first).append(" |");
        for (String c : columns) {
            md.append(' ').append(c).append(" |");
            sep.append(" ---: |");
        }
        if (last != null) {
            md.append(' ').append(last).append(" |");
            sep.append(" --- |");
        }
        md.append('\n').append(sep).append('\n');
    }

    private void updateReadme(Path readme, String body) throws IOException {
        if (!Files.exists(readme)) {
            System.err.println("no " + readme + ": results only in results.md");
            return;
        }
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            System.err.println(readme + " has no " + BEGIN + " ... " + END + " block: results only in results.md");
            return;
        }
        String updated = text.substring(0, b + BEGIN.length()) + "\n" + body + text.substring(e);
        Files.writeString(readme, updated, StandardCharsets.UTF_8);
    }

    private String summary() {
        StringBuilder s = new StringBuilder("connpool ÷ fastest peer:");
        Result saturated = find("Saturated", "connpool", "thrpt");
        Result saturatedPeer = bestThroughputPeer("Saturated");
        if (saturated != null && saturatedPeer != null) {
            s.append(" Saturated (throughput) ").append(ratio(saturated.score() / saturatedPeer.score()));
        }
        Result vt = find("VirtualThreads", "connpool", "thrpt");
        Result vtBag = find("VirtualThreads", "hikariBag", "thrpt");
        if (vt != null && vtBag != null) {
            s.append(" VirtualThreads (throughput, vs the bag) ").append(ratio(vt.score() / vtBag.score()));
        }
        for (String sc : OVERHEAD) {
            Result c = find(sc, "connpool", "avgt");
            Result p = fastestPeer(sc, "avgt");
            if (c != null && p != null) {
                s.append(' ').append(sc).append(' ').append(ratio(c.score() / p.score()));
            }
        }
        return s.toString();
    }

    // =====================================================================================
    // chart
    // =====================================================================================

    private boolean chart(Path file) {
        // a log axis takes no gaps: only pools that ran, only scenarios where all of them ran
        List<String> ran = new ArrayList<>();
        for (String p : pools.keySet()) {
            if (results.stream().anyMatch(r -> r.pool().equals(p) && OVERHEAD.contains(r.scenario()))) {
                ran.add(p);
            }
        }
        List<String> categories = new ArrayList<>();
        List<String> scenarios = new ArrayList<>();
        for (String s : OVERHEAD) {
            if (!ran.isEmpty() && ran.stream().allMatch(p -> positive(find(s, p, "avgt")))) {
                scenarios.add(s);
                categories.add(label(s));
            }
        }
        if (scenarios.isEmpty()) {
            System.err.println("chart not drawn: no scenario in which every pool ran");
            return false;
        }
        List<Chart.Series> series = new ArrayList<>();
        for (String p : ran) {
            double[] v = new double[scenarios.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = find(scenarios.get(i), p, "avgt").score();
            }
            series.add(new Chart.Series(pools.get(p), v, p.equals("connpool")));
        }
        String title = "Pool overhead on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                + str(run.get("jdkVersion")) + (smoke ? " — SMOKE RUN, noisy, not for quoting" : "");
        try {
            System.setProperty("java.awt.headless", "true");
            Chart.write(title, categories, series, file);
            return true;
        } catch (IOException | RuntimeException | Error e) {
            // a machine without fonts cannot render text: the tables are still written
            System.err.println("chart not drawn: " + e);
            return false;
        }
    }

    // =====================================================================================
    // lookups and formats
    // =====================================================================================

    private Result find(String scenario, String pool, String mode) {
        for (Result r : results) {
            if (r.scenario().equals(scenario) && r.pool().equals(pool) && r.mode().equals(mode)) {
                return r;
            }
        }
        return null;
    }

    private static boolean positive(Result r) {
        return r != null && r.score() > 0;
    }

    private Result fastestPeer(String scenario, String mode) {
        Result best = null;
        for (String p : PEERS) {
            Result r = find(scenario, p, mode);
            if (r != null && !Double.isNaN(r.score()) && (best == null || r.score() < best.score())) {
                best = r;
            }
        }
        return best;
    }

    /** The peer with the highest throughput in a scenario, or null if none ran. */
    /** The other pool (the queue included) with the lowest p99.9 in a SampleTime scenario. */
    private Result bestTailPeer(String scenario) {
        Result best = null;
        for (String p : SERVICE_PEERS) {
            Result r = find(scenario, p, "sample");
            if (r != null && !Double.isNaN(r.percentile("99.9"))
                    && (best == null || r.percentile("99.9") < best.percentile("99.9"))) {
                best = r;
            }
        }
        return best;
    }

    private Result bestThroughputPeer(String scenario) {
        Result best = null;
        for (String p : SERVICE_PEERS) {
            Result r = find(scenario, p, "thrpt");
            if (r != null && !Double.isNaN(r.score()) && (best == null || r.score() > best.score())) {
                best = r;
            }
        }
        return best;
    }

    /**
     * "Sequential (1 thread, 5/10)" from the run (or, for a scenario not in it, the benchmark
     * class's {@code @Threads}) and the scenario's {@link PoolShape}.
     */
    private String label(String scenario) {
        Class<?> type;
        try {
            type = Class.forName("dev.connpool.benchmarks." + scenario);
        } catch (ClassNotFoundException e) {
            type = null; // a result of a benchmark this jar does not have: no shape to show
        }
        List<String> parts = new ArrayList<>();
        if (scenario.equals("VirtualThreads")) {
            // JMH runs one thread there, which only hands out the work
            parts.add(String.format(Locale.ROOT, "%,d virtual threads", VirtualThreadCrew.THREADS));
        } else {
            int threads = results.stream().filter(r -> r.scenario().equals(scenario)).mapToInt(Result::threads)
                    .findFirst().orElse(0);
            Threads declared = type == null ? null : type.getAnnotation(Threads.class);
            if (threads == 0 && declared != null && declared.value() > 0) {
                threads = declared.value();
            }
            if (threads > 0) {
                parts.add(threads + (threads == 1 ? " thread" : " threads"));
            } else if (declared != null && declared.value() == Threads.MAX) {
                parts.add("all cores");
            }
        }
        PoolShape shape = type == null ? null : type.getAnnotation(PoolShape.class);
        if (shape != null) {
            parts.add(shape.minSize() + "/" + shape.maxSize());
            if (shape.healthCheck()) {
                parts.add(shape.healthCheckAfterIdleMillis() > 0
                        ? "liveness after " + shape.healthCheckAfterIdleMillis() + " ms idle" : "liveness");
            }
        }
        String name;
        switch (scenario) {
            case "HealthChecked": name = "Health-checked"; break;
            case "HealthCheckedWindow": name = "Health-checked, window"; break;
            case "Saturated": name = "Saturated service"; break;
            case "VirtualThreads": name = "Virtual threads"; break;
            case "SequentialLeakDetection": name = "Sequential, leak detection on"; break;
            case "ParallelLeakDetection": name = "Parallel, leak detection on"; break;
            default: name = scenario;
        }
        return parts.isEmpty() ? name : name + " (" + String.join(", ", parts) + ")";
    }

    static String time(double ns) {
        return time(ns, Double.NaN);
    }

    static String time(double ns, double error) {
        if (Double.isNaN(ns)) {
            return "–";
        }
        double abs = Math.abs(ns);
        double scale;
        String unit;
        if (abs >= 1e6) {
            scale = 1e6;
            unit = "ms";
        } else if (abs >= 1e4) {
            scale = 1e3;
            unit = "µs";
        } else {
            scale = 1;
            unit = "ns";
        }
        String v = number(ns / scale);
        if (Double.isNaN(error) || Double.isInfinite(error)) {
            return v + " " + unit;
        }
        return v + " ± " + number(error / scale) + " " + unit;
    }

    private static String number(double v) {
        double abs = Math.abs(v);
        if (abs < 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (abs < 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "–";
        }
        return (r < 10 ? String.format(Locale.ROOT, "%.2f", r) : String.format(Locale.ROOT, "%,.0f", r)) + "×";
    }

    static String bytes(double b) {
        if (Double.isNaN(b)) {
            return "–";
        }
        return b < 0.5 ? "0" : String.format(Locale.ROOT, "%,.0f", b);
    }

    /** A throughput in ops/ms, e.g. "48.2 ± 1.30 ops/ms". */
    static String perMilli(double opsPerMs) {
        return perMilli(opsPerMs, Double.NaN);
    }

    static String perMilli(double opsPerMs, double error) {
        if (Double.isNaN(opsPerMs)) {
            return "–";
        }
        if (Double.isNaN(error) || Double.isInfinite(error)) {
            return number(opsPerMs) + " ops/ms";
        }
        return number(opsPerMs) + " ± " + number(error) + " ops/ms";
    }

    private static String verdict(boolean met) {
        return met ? "met" : "**missed**";
    }

    private static String bold(String s) {
        return s.equals("–") ? s : "**" + s + "**";
    }

    private static String emphasized(String s, boolean connpool) {
        return connpool ? bold(s) : s;
    }

    private static String capitalized(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String str(Object o) {
        if (o instanceof Double && ((Double) o) == Math.rint((Double) o)) {
            return String.valueOf(((Double) o).longValue());
        }
        return o == null ? "?" : o.toString();
    }

    private static List<String> strings(Object o) {
        List<String> l = new ArrayList<>();
        for (Object x : Json.array(o)) {
            l.add(String.valueOf(x));
        }
        return l;
    }

    /** A library's version from the pom.properties its jar carries (kept by the shaded jar). */
    private static String version(String group, String artifact) {
        String path = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Report.class.getResourceAsStream(path)) {
            if (in == null) {
                return "?";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }
}
