//! Where each kernel function the narration names is defined, per kernel version, and where hmm-sim models it:
//! the table `web/kernel-refs.tsv` (data, not code; its header says what each column holds and how a line gets
//! there). A step's function links to that line on elixir.bootlin.com for the version the run simulates when
//! the table has a verified line for it, and otherwise to Elixir's identifier search for that version, saying
//! that the line is not verified.

use hmm_sim::{Func, KernelVersion};

const TABLE: &str = include_str!("../kernel-refs.tsv");

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelRef {
    pub function: &'static str,
    pub kernel_file: &'static str,
    /// The hmm-sim source file (under `crates/hmm-sim/src/`) and function that model it.
    pub sim_file: &'static str,
    pub sim_fn: &'static str,
    /// Definition lines read in a tagged release: (Elixir tag, line).
    pub lines: Vec<(&'static str, u32)>,
    /// A function of the unmerged RFC series: in no release, so no kernel link.
    pub unmerged: bool,
}

/// The rows, or why a line cannot be read (a test holds the table to this parser).
fn rows() -> impl Iterator<Item = Result<KernelRef, String>> {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(parse_row)
}

fn parse_row(line: &'static str) -> Result<KernelRef, String> {
    let cols: Vec<&'static str> = line.split('\t').collect();
    let [function, kernel_file, sim_file, sim_fn, lines] = cols[..] else {
        return Err(format!("expected 5 tab-separated columns: {line:?}"));
    };
    let unmerged = lines == "rfc";
    let lines = if lines == "-" || unmerged {
        Vec::new()
    } else {
        lines
            .split(' ')
            .map(|pair| {
                let (tag, number) = pair
                    .split_once(':')
                    .ok_or_else(|| format!("{pair:?} is not VERSION:LINE"))?;
                let number = number
                    .parse()
                    .map_err(|_| format!("{number:?} is not a line number"))?;
                Ok((tag, number))
            })
            .collect::<Result<_, String>>()?
    };
    Ok(KernelRef {
        function,
        kernel_file,
        sim_file,
        sim_fn,
        lines,
        unmerged,
    })
}

/// The row of kernel function `func`, if the table has it.
pub fn lookup(func: Func) -> Option<KernelRef> {
    rows().flatten().find(|row| row.function == func.name())
}

/// The Elixir tag of a kernel version's source. The 2026 variant's links go to the release the glossary uses,
/// which has the 2026 fix; Popple's proposal and the file-backed RFC were never merged, so the functions they
/// share with mainline link there too.
pub fn elixir_tag(kernel: KernelVersion) -> &'static str {
    match kernel {
        KernelVersion::V6_14 => "v6.14",
        KernelVersion::V6_15 => "v6.15",
        KernelVersion::Fix2026 | KernelVersion::PoppleProposal | KernelVersion::FileRfc => {
            crate::glossary::KERNEL_REF
        }
    }
}

/// A kernel function's link for one kernel version.
pub struct Link {
    /// None for a function of the unmerged RFC (no release has it).
    pub url: Option<String>,
    /// Words for the link's title: the file, the line or that it is not verified, the tag.
    pub title: String,
    pub verified: bool,
    /// Where hmm-sim models it: `crates/hmm-sim/src/FILE: fn NAME`.
    pub sim: Option<String>,
}

/// Where `func` is defined in `kernel`'s source: its file and line on Elixir when verified, else Elixir's
/// identifier search. `None` for what is not kernel code (the simulated task, the lane drivers).
pub fn link(func: Func, kernel: KernelVersion) -> Option<Link> {
    if !crate::glossary::is_kernel_file(func.file()) {
        return None;
    }
    let tag = elixir_tag(kernel);
    let row = lookup(func);
    let line = row
        .as_ref()
        .and_then(|r| r.lines.iter().find(|(t, _)| *t == tag).map(|(_, l)| *l));
    let sim = row
        .as_ref()
        .map(|r| format!("crates/hmm-sim/src/{}: fn {}", r.sim_file, r.sim_fn));
    if row.as_ref().is_some_and(|r| r.unmerged) {
        return Some(Link {
            url: None,
            title: format!(
                "{} ({}) is from an RFC series ({}), in no release",
                func.name(),
                func.file(),
                hmm_sim::RFC_MARK
            ),
            verified: false,
            sim,
        });
    }
    Some(match line {
        Some(line) => Link {
            url: Some(format!(
                "https://elixir.bootlin.com/linux/{tag}/source/{}#L{line}",
                func.file()
            )),
            title: format!("{} at {}:{line} in Linux {tag}", func.name(), func.file()),
            verified: true,
            sim,
        },
        None => Link {
            url: Some(format!(
                "https://elixir.bootlin.com/linux/{tag}/A/ident/{}",
                func.name()
            )),
            title: format!(
                "{} in {} (Linux {tag}; its line is not verified here: Elixir's definition search)",
                func.name(),
                func.file()
            ),
            verified: false,
            sim,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_row_parses() {
        let bad: Vec<String> = rows().filter_map(Result::err).collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert!(rows().count() > 50);
    }

    /// Every kernel function the narration can name (every `Func` in a kernel file) has a row, with the file
    /// hmm-sim gives it; its hmm-sim file exists and names the function and `Func::Variant` there.
    #[test]
    fn every_narrated_kernel_function_has_a_row_held_to_the_sources() {
        let sim_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hmm-sim/src");
        for &func in Func::ALL {
            if !crate::glossary::is_kernel_file(func.file()) {
                assert!(link(func, KernelVersion::V6_15).is_none());
                continue;
            }
            let row = lookup(func).unwrap_or_else(|| panic!("no row for {}", func.name()));
            assert_eq!(row.kernel_file, func.file(), "{}", func.name());
            let text = std::fs::read_to_string(sim_src.join(row.sim_file))
                .unwrap_or_else(|e| panic!("{}: {}: {e}", func.name(), row.sim_file));
            assert!(
                text.contains(&format!("fn {}", row.sim_fn)),
                "{} has no fn {}",
                row.sim_file,
                row.sim_fn
            );
            assert!(
                text.contains(&format!("Func::{func:?}")),
                "{} never names Func::{func:?}",
                row.sim_file
            );
        }
        // No row for a function hmm-sim does not have.
        for row in rows().flatten() {
            assert!(
                Func::ALL.iter().any(|f| f.name() == row.function),
                "{} is not an hmm_sim::Func",
                row.function
            );
        }
    }

    #[test]
    fn unverified_lines_link_to_the_identifier_search_of_the_version() {
        let l = link(Func::HmmRangeFault, KernelVersion::V6_14).expect("kernel code");
        assert!(!l.verified);
        assert_eq!(
            l.url.as_deref(),
            Some("https://elixir.bootlin.com/linux/v6.14/A/ident/hmm_range_fault")
        );
        // The RFC's own functions are in no release: no kernel link, the model still named.
        let rfc =
            link(Func::HmmVmaHandleMigratePrepare, KernelVersion::V6_15).expect("kernel file");
        assert!(
            rfc.url.is_none() && rfc.title.contains("RFC"),
            "{}",
            rfc.title
        );
        assert!(rfc.sim.is_some());
        assert!(l.title.contains("not verified"), "{}", l.title);
        assert_eq!(
            l.sim.as_deref(),
            Some("crates/hmm-sim/src/mm/hmm.rs: fn hmm_range_fault")
        );
        // Lines read in v7.2.13's source: the 2026 variant links to the line itself.
        let fixed = link(Func::HmmRangeFault, KernelVersion::Fix2026).expect("kernel code");
        assert!(fixed.verified, "{}", fixed.title);
        assert_eq!(
            fixed.url.as_deref(),
            Some("https://elixir.bootlin.com/linux/v7.2.13/source/mm/hmm.c#L659")
        );
        let row = parse_row("f\tmm/x.c\tmm/x.rs\tf\tv6.15:123 v6.14:120").expect("parses");
        assert_eq!(row.lines, vec![("v6.15", 123), ("v6.14", 120)]);
        assert!(parse_row("f\tmm/x.c\tmm/x.rs\tf\tv6.15").is_err());
        assert!(parse_row("f\tmm/x.c").is_err());
    }
}
