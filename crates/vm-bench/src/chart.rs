//! The PNG chart: per kernel, one bar per runner showing its speed relative
//! to qemu-riscv64 on a log scale, bars growing up (faster than qemu) or down
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

use crate::report::QEMU;
use crate::suite::{Metric, Results};

/// Chart size in pixels.
const SIZE_PX: (u32, u32) = (1280, 640);

/// Draws the chart of `results` into the PNG file `path`.
pub fn draw(results: &Results, metric: Metric, path: &Path) -> Result<()> {
    ensure_font()?;
    let kernels: Vec<&str> = results.kernels.iter().map(|k| k.kernel.name).collect();
    let series: Vec<(String, Vec<Option<f64>>)> = (0..results.runners.len())
        .filter(|&r| r != QEMU)
        .map(|r| {
            let v = (0..kernels.len())
                .map(|k| results.speedup(k, r, QEMU, metric))
                .collect();
            (results.runners[r].to_string(), v)
        })
        .collect();
    plot(&kernels, &series, path).map_err(|e| anyhow!("drawing {}: {e}", path.display()))
}

fn plot(
    kernels: &[&str],
    series: &[(String, Vec<Option<f64>>)],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let values = series.iter().flat_map(|(_, v)| v.iter().flatten().copied());
    let (min, max) = values.fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let n = kernels.len().max(1);
    let root = BitMapBackend::new(path, SIZE_PX).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Speed relative to qemu-riscv64 (qemu time / runner time, log scale)",
            ("sans-serif", 26),
        )
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
            kernels
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
    let width = 0.8 / series.len().max(1) as f64;
    for (j, (name, values)) in series.iter().enumerate() {
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
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
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
