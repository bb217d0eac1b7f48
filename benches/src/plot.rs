//! `occupancy.svg`: cost against occupancy, one panel per benchmark whose
//! CSV is present in the results directory (buddy, iommu, and cma/heap when
//! they were run), one line per competitor (and managed size).

use plotters::prelude::*;

struct Series {
    name: String,
    ours: bool,
    points: Vec<(f64, f64)>,
}

/// Reads `<results>/<bench>.csv` into series keyed by competitor and size.
fn read_series(bench: &str) -> Option<(String, Vec<Series>)> {
    let path = super::results_dir().join(format!("{bench}.csv"));
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (ci, si, oi, ri, mi, ki) = (
        col("competitor")?,
        col("size_bytes")?,
        col("occupancy_pct")?,
        col("role")?,
        col("median_ns")?,
        col("case")?,
    );
    let mut sizes: Vec<u64> = Vec::new();
    let mut rows = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < header.len() {
            continue;
        }
        let size: u64 = f[si].parse().ok()?;
        if !sizes.contains(&size) {
            sizes.push(size);
        }
        // A variant is what follows "<size> <occ>%" in the case label.
        let variant = f[ki]
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ");
        let comp = if variant.is_empty() {
            f[ci].to_string()
        } else {
            format!("{} [{variant}]", f[ci])
        };
        rows.push((
            comp,
            size,
            f[oi].parse::<f64>().ok()?,
            f[ri] == "ours",
            f[mi].parse::<f64>().ok()?,
        ));
    }
    let mut series: Vec<Series> = Vec::new();
    for (comp, size, occ, ours, ns) in rows {
        let name = if sizes.len() > 1 {
            format!("{comp} @ {}", super::human(size))
        } else {
            comp
        };
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push((occ, ns)),
            None => series.push(Series {
                name,
                ours,
                points: vec![(occ, ns)],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    }
    let sizes_txt: Vec<String> = sizes.iter().map(|&s| super::human(s)).collect();
    let sizes_txt = if sizes.len() > 1 {
        format!(" ({})", sizes_txt.join(" and "))
    } else {
        String::new()
    };
    Some((sizes_txt, series))
}

/// Renders `<results>/occupancy.svg` from the CSVs that exist. Returns the
/// path written, or `None` if there was nothing to plot.
pub fn plot_occupancy() -> Option<std::path::PathBuf> {
    let panels: Vec<(&str, &str)> = vec![
        ("buddy", "buddy: alloc+free pair, orders 0-4, thick = ours"),
        ("iommu", "IOMMU arena: map+unmap 8 KiB-1 MiB, 1 GiB window"),
        ("cma", "CMA: alloc+release 1-512 pages, 256 MiB"),
        ("heap", "heap: alloc+free 8-512 B, 2 MiB arena"),
    ];
    let data: Vec<(String, String, Vec<Series>)> = panels
        .iter()
        .filter_map(|(b, title)| {
            read_series(b).map(|(sizes, s)| (format!("{title}{sizes}"), b.to_string(), s))
        })
        .filter(|(_, _, s)| !s.is_empty())
        .collect();
    if data.is_empty() {
        return None;
    }
    let path = super::results_dir().join("occupancy.svg");
    let rows = data.len().div_ceil(2);
    draw(&path, rows, &data)?;
    Some(path)
}

fn draw(path: &std::path::Path, rows: usize, data: &[(String, String, Vec<Series>)]) -> Option<()> {
    let root = SVGBackend::new(path, (1400, 520 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).ok()?;
    let areas = root.split_evenly((rows, 2));
    for (area, (title, _bench, series)) in areas.iter().zip(data) {
        let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let (lo, hi) = ys.fold((f64::MAX, 0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
        let (lo, hi) = ((lo / 1.5).max(0.1), hi * 1.5);
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(20f64..80f64, (lo..hi).log_scale())
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("occupancy (%)")
            .y_desc("median ns per operation (log scale)")
            .x_labels(7)
            .draw()
            .ok()?;
        for (i, s) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let width = if s.ours { 3 } else { 1 };
            let label = s.name.clone();
            chart
                .draw_series(LineSeries::new(s.points.clone(), color.stroke_width(width)))
                .ok()?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(width))
                });
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .ok()?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .ok()?;
    }
    root.present().ok()?;
    Some(())
}
