package dev.connpool.benchmarks.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/** The chart of the report: ns per get+release for each pool, grouped by scenario, log scale. */
final class Chart {

    private static final Color CONNPOOL = new Color(0xD9, 0x48, 0x01);
    private static final Color[] PEERS = {
        new Color(0x31, 0x82, 0xBD), new Color(0x6B, 0xAE, 0xD6), new Color(0x75, 0x6B, 0xB1),
        new Color(0x9E, 0x9A, 0xC8), new Color(0x96, 0x96, 0x96), new Color(0x52, 0x52, 0x52),
    };

    private Chart() {
    }

    /**
     * Draws and saves the chart.
     *
     * @param title the chart's title
     * @param categories scenario labels, the groups on the x axis
     * @param series pool label and its value (ns, positive) per category
     * @param file where to write the PNG
     * @throws IOException if it cannot be written
     */
    static void write(String title, List<String> categories, List<Series> series, Path file) throws IOException {
        CategoryChart chart = new CategoryChartBuilder()
                .width(1200).height(640)
                .title(title)
                .xAxisTitle("scenario")
                .yAxisTitle("ns per get + release, per thread (log scale)")
                .build();
        Styler.ChartTheme theme = Styler.ChartTheme.XChart;
        chart.getStyler().setTheme(theme.newInstance(theme));
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(0xDD, 0xDD, 0xDD));
        chart.getStyler().setPlotGridLinesStroke(new BasicStroke(1f));
        chart.getStyler().setAvailableSpaceFill(0.85);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        chart.getStyler().setLabelsRotation(90);
        chart.getStyler().setLabelsPosition(0.5);
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        chart.getStyler().setDecimalPattern("#,##0");
        // bars start at the axis minimum: on a log axis, a decade below the lowest value (not 0)
        double min = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.values)).min().orElse(1);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min)) - 1));
        int peer = 0;
        for (Series s : series) {
            List<Double> ys = new ArrayList<>();
            for (double v : s.values) {
                ys.add(v);
            }
            CategorySeries cs = chart.addSeries(s.label, categories, ys);
            cs.setFillColor(s.highlight ? CONNPOOL : PEERS[peer++ % PEERS.length]);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * One pool's bars.
     *
     * @param label legend label
     * @param values one per category, in ns
     * @param highlight whether this is connpool
     */
    record Series(String label, double[] values, boolean highlight) {
    }
}
