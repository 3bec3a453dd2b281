//! The PNG chart: a panel per suite (kernels, then programs); per case, one
//! bar per runner showing its speed relative to qemu-riscv64 on a log scale
//! shared by the panels, bars growing up (faster than qemu) or down
//! (slower) from the 1.0 line.
//!
//! Text is rendered by plotters' pure-Rust `ab_glyph` backend, which needs a
//! TrueType font registered at run time; one is looked up in the usual
//! system font directories (DejaVu Sans preferred).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::case::Group;
use crate::report::QEMU;
use crate::suite::{Metric, Results};

/// Chart height, and width per case (plus a fixed part per panel), in pixels.
const HEIGHT_PX: u32 = 640;
const CASE_WIDTH_PX: u32 = 100;
const PANEL_EXTRA_PX: u32 = 140;
/// The narrowest chart.
const WIDTH_MIN_PX: u32 = 900;

/// One panel of the chart: a suite's cases and one bar series per runner.
struct Panel {
    title: &'static str,
    cases: Vec<&'static str>,
    series: Vec<(String, Vec<Option<f64>>)>,
}

impl Panel {
    fn width_px(&self) -> u32 {
        PANEL_EXTRA_PX + CASE_WIDTH_PX * self.cases.len().max(1) as u32
    }
}

/// Draws the chart of `results` into the PNG file `path`: one panel per
/// suite (kernels, programs), on one shared scale so bars compare across
/// panels.
pub fn draw(results: &Results, metric: Metric, path: &Path) -> Result<()> {
    ensure_font()?;
    let panels: Vec<Panel> = Group::ALL
        .into_iter()
        .filter_map(|group| {
            let cases = results.in_group(group);
            if cases.is_empty() {
                return None;
            }
            let series = (0..results.runners.len())
                .filter(|&r| r != QEMU)
                .map(|r| {
                    let v = cases
                        .iter()
                        .map(|&k| results.speedup(k, r, QEMU, metric))
                        .collect();
                    (results.runners[r].to_string(), v)
                })
                .collect();
            Some(Panel {
                title: group.title(),
                cases: cases.iter().map(|&k| results.cases[k].case.name).collect(),
                series,
            })
        })
        .collect();
    plot(&panels, path).map_err(|e| anyhow!("drawing {}: {e}", path.display()))
}

fn plot(panels: &[Panel], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let values = panels.iter().flat_map(|p| {
        p.series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied())
    });
    let (min, max) = values.fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let width: u32 = panels.iter().map(Panel::width_px).sum();
    let root = BitMapBackend::new(path, (width.max(WIDTH_MIN_PX), HEIGHT_PX)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Speed relative to qemu-riscv64 (qemu time / runner time, log scale)",
        ("sans-serif", 26),
    )?;
    let mut rest = root;
    for (i, panel) in panels.iter().enumerate() {
        let area = if i + 1 == panels.len() {
            rest.clone()
        } else {
            let (left, right) = rest.split_horizontally(panel.width_px());
            rest = right;
            left
        };
        draw_panel(&area, panel, (min, max), i + 1 == panels.len())?;
    }
    rest.present()?;
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    panel: &Panel,
    (min, max): (f64, f64),
    legend: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = panel.cases.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            -0.5f64..(n as f64 - 0.5),
            (min / 1.6..max * 1.6).log_scale(),
        )?;
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 0.05 && i >= 0.0 {
            panel
                .cases
                .get(i as usize)
                .map_or(String::new(), |s| s.to_string())
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&label)
        .y_desc("× qemu speed")
        .label_style(("sans-serif", 16))
        .draw()?;
    let width = 0.8 / panel.series.len().max(1) as f64;
    for (j, (name, values)) in panel.series.iter().enumerate() {
        let color = Palette99::pick(j).to_rgba();
        let bars = values.iter().enumerate().filter_map(|(i, v)| {
            let x0 = i as f64 - 0.4 + j as f64 * width;
            v.map(|v| Rectangle::new([(x0, 1.0), (x0 + width * 0.92, v)], color.filled()))
        });
        chart
            .draw_series(bars)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart.draw_series(LineSeries::new(
        [(-0.5, 1.0), (n as f64 - 0.5, 1.0)],
        BLACK.stroke_width(2),
    ))?;
    if legend {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    Ok(())
}

/// Registers a system TrueType font as "sans-serif", once per process.
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let path = find_font().ok_or(
                "no TrueType font found under /usr/share/fonts (install fonts-dejavu-core)",
            )?;
            let bytes =
                std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            // The font registry keeps `&'static` bytes for the whole process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{} is not a usable TrueType font", path.display()))
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// DejaVu Sans or Liberation Sans where distributions put them, else the
/// first `.ttf` found under /usr/share/fonts.
fn find_font() -> Option<PathBuf> {
    const PREFERRED: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];
    PREFERRED
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| first_ttf(Path::new("/usr/share/fonts"), 4))
}

fn first_ttf(dir: &Path, depth_max: u32) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    if let Some(f) = entries
        .iter()
        .find(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ttf")) && p.is_file())
    {
        return Some(f.clone());
    }
    if depth_max == 0 {
        return None;
    }
    entries
        .iter()
        .filter(|p| p.is_dir())
        .find_map(|d| first_ttf(d, depth_max - 1))
}
