//! `nurture graph CAMPAIGN [--workflow NAME] [--format mermaid|dot]`: each workflow as a
//! diagram.

use super::check::display;
use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::{Args, ValueEnum};
use nurture::check::check_source;
use nurture::compile::file;
use nurture::diag::{self, FileReport};
use nurture::graph;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Draw each workflow as a diagram
///
/// Steps in order, waits with their durations, `if` branches with their conditions (yes/no),
/// `split` arms with their shares, `exit when` and `goal`, a `holdout` as a dashed branch
/// with its share, and the triggers (or other
/// workflows) that start or stop it. Mermaid renders in Markdown on GitHub: put the output in
/// a ```mermaid block. DOT renders with Graphviz: `nurture graph FILE --format dot | dot
/// -Tsvg > flow.svg`.
///
/// Exit code 0 when the diagram is printed, 1 when the campaign has errors (they are shown on
/// standard error), 2 for a usage error, a file that cannot be read or an unknown workflow.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The campaign file.
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,

    /// Draw only this workflow. Default: every workflow, in the order of the file.
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,

    /// `mermaid`: one Mermaid `flowchart TD`, with a subgraph per workflow when there are
    /// several. `dot`: one Graphviz digraph with a cluster per workflow.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid, value_name = "FORMAT")]
    pub format: GraphFormat,
}

/// The diagram languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowcharts, which GitHub renders in Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

pub fn run(args: &GraphArgs) -> u8 {
    let path = &args.campaign;
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("nurture graph: cannot read {}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    let name = display(path);
    if file::is_compiled(&bytes) {
        eprintln!("nurture graph: {name} is a compiled program, not a campaign");
        return EXIT_USAGE;
    }
    let checked = check_source(&name, &bytes);
    let Some(program) = checked.program else {
        eprint!("{}", render_diagnostics(checked.report));
        return EXIT_PROBLEMS;
    };
    let source = &checked.report.file.text;
    let mut graph = graph::build(&program, source);
    if let Some(wanted) = &args.workflow {
        graph.workflows.retain(|w| &w.name == wanted);
        if graph.workflows.is_empty() {
            let names: Vec<&str> = program.workflows.iter().map(|w| w.name.as_str()).collect();
            if names.is_empty() {
                eprintln!("nurture graph: {name} has no workflow `{wanted}`: it has no workflows");
            } else {
                eprintln!(
                    "nurture graph: {name} has no workflow `{wanted}`; its workflows: {}",
                    names.join(", ")
                );
            }
            return EXIT_USAGE;
        }
    } else if graph.workflows.is_empty() {
        eprintln!("nurture graph: {name} has no workflows to draw");
    }
    let text = match args.format {
        GraphFormat::Mermaid => graph::mermaid::render(&graph),
        GraphFormat::Dot => graph::dot::render(&graph),
    };
    print_stdout(&text);
    EXIT_OK
}

/// Diagnostics as human output for standard error: in colour only on a terminal, and never
/// when NO_COLOR is set.
fn render_diagnostics(report: FileReport) -> String {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = !no_color && std::io::stderr().is_terminal();
    diag::render(&[report], diag::Format::Human, color)
}
