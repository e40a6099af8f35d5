//! The charts: small SVG line charts written by hand, so rendering needs no plotting library
//! and no fonts.

use std::fmt::Write as _;

use crate::summary::{Endpoint, Summary};

/// `provisioning.svg`: provisioning time per tenant as the fleet grows.
pub fn provisioning(summary: &Summary) -> String {
    let curve = &summary.provision_buckets.chart;
    let points = |p99: bool| {
        curve
            .iter()
            .map(|b| (b.to as f64, if p99 { b.p99_ms } else { b.p50_ms }))
            .collect()
    };
    LineChart {
        title: "Provisioning time per tenant, tenants 1 to N in order",
        x_label: "tenants already provisioned",
        y_label: "ms per tenant",
        log_x: false,
        series: vec![
            Series {
                name: "p50",
                color: "#2563eb",
                points: points(false),
            },
            Series {
                name: "p99",
                color: "#dc2626",
                points: points(true),
            },
        ],
    }
    .render()
}

/// `scaling-p99.svg`: p99 latency of each endpoint against the number of tenants.
pub fn scaling_p99(summary: &Summary) -> String {
    let series = |endpoint: Endpoint, color: &'static str| Series {
        name: endpoint.name(),
        color,
        points: summary
            .scaling_runs
            .iter()
            .filter_map(|point| {
                let p99 = point.runs.get(&endpoint)?.p99_ms?;
                Some((point.tenants as f64, p99))
            })
            .collect(),
    };
    LineChart {
        title: "p99 latency through nginx vs number of tenants",
        x_label: "tenants (log scale)",
        y_label: "p99 ms",
        log_x: true,
        series: vec![
            series(Endpoint::Config, "#16a34a"),
            series(Endpoint::Menu, "#2563eb"),
            series(Endpoint::Orders, "#dc2626"),
        ],
    }
    .render()
}

/// One line of a chart.
struct Series {
    name: &'static str,
    color: &'static str,
    points: Vec<(f64, f64)>,
}

struct LineChart {
    title: &'static str,
    x_label: &'static str,
    y_label: &'static str,
    /// A logarithmic x axis, ticked at the data's own x values.
    log_x: bool,
    series: Vec<Series>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;

/// Where data coordinates land in the picture.
struct Scale {
    log_x: bool,
    x_min: f64,
    x_max: f64,
    y_max: f64,
}

impl Scale {
    fn of(chart: &LineChart) -> Scale {
        let points = chart.series.iter().flat_map(|s| s.points.iter());
        let along = |x: f64| if chart.log_x { x.max(1.0).log10() } else { x };
        let (x_min, x_max) = points.clone().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(along(p.0)), hi.max(along(p.0)))
        });
        // A single x value (or none) still gets an axis of some width.
        let (x_min, x_max) = if x_max > x_min {
            (x_min, x_max)
        } else {
            (x_min - 1.0, x_max + 1.0)
        };
        // Headroom above the highest point, so it does not sit on the frame.
        let y_max = points.fold(0.0f64, |hi, p| hi.max(p.1)) * 1.1;
        Scale {
            log_x: chart.log_x,
            x_min,
            x_max,
            y_max: if y_max > 0.0 { y_max } else { 1.0 },
        }
    }

    fn x(&self, x: f64) -> f64 {
        let x = if self.log_x { x.max(1.0).log10() } else { x };
        LEFT + (x - self.x_min) / (self.x_max - self.x_min) * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - y / self.y_max * (HEIGHT - TOP - BOTTOM)
    }
}

impl LineChart {
    fn render(&self) -> String {
        let scale = Scale::of(self);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
            WIDTH / 2.0,
            self.title
        );
        self.axes(&mut svg, &scale);
        for (index, series) in self.series.iter().enumerate() {
            Self::line(&mut svg, &scale, series, index);
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// Horizontal grid lines with their values, x ticks, and the axis labels.
    fn axes(&self, svg: &mut String, scale: &Scale) {
        for i in 0..=4 {
            let y = scale.y_max * f64::from(i) / 4.0;
            let py = scale.y(y);
            writeln!(
                svg,
                "<line x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#e5e7eb\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{y:.1}</text>",
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6.0,
                ty = py + 4.0
            )
            .unwrap();
        }
        for x in self.x_ticks(scale) {
            writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{x:.0}</text>",
                scale.x(x),
                HEIGHT - BOTTOM + 16.0
            )
            .unwrap();
        }
        writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
            WIDTH / 2.0,
            HEIGHT - 10.0,
            self.x_label,
            HEIGHT / 2.0,
            HEIGHT / 2.0,
            self.y_label
        )
        .unwrap();
    }

    /// A log axis is ticked at the measured x values (the tenant counts); a linear one evenly.
    fn x_ticks(&self, scale: &Scale) -> Vec<f64> {
        if self.log_x {
            let mut ticks: Vec<f64> = self
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .collect();
            ticks.sort_by(f64::total_cmp);
            ticks.dedup();
            ticks
        } else {
            (0..=4)
                .map(|i| scale.x_min + (scale.x_max - scale.x_min) * f64::from(i) / 4.0)
                .collect()
        }
    }

    /// The series' polyline, its points, and its entry in the legend (the `index`th).
    fn line(svg: &mut String, scale: &Scale, series: &Series, index: usize) {
        let color = series.color;
        let path: Vec<String> = series
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", scale.x(x), scale.y(y)))
            .collect();
        writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        )
        .unwrap();
        for &(x, y) in &series.points {
            writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"/>",
                scale.x(x),
                scale.y(y)
            )
            .unwrap();
        }
        let ly = TOP + 14.0 * index as f64;
        writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{}</text>",
            WIDTH - RIGHT - 90.0,
            WIDTH - RIGHT - 70.0,
            WIDTH - RIGHT - 64.0,
            ly + 4.0,
            series.name
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::sample;

    #[test]
    fn the_highest_point_sits_below_the_top_of_the_frame() {
        let svg = scaling_p99(&sample());
        // The sample's highest p99 is 30 ms; the axis goes 10 % beyond it.
        assert!(svg.contains(">33.0</text>"));
        assert!(svg.contains("<circle cx=\"696.0\""));
    }

    #[test]
    fn a_log_axis_is_ticked_once_per_tenant_count() {
        let svg = scaling_p99(&sample());
        assert_eq!(svg.matches(">300</text>").count(), 1);
    }
}
