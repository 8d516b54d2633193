//! Mermaid flowcharts: one document for every workflow drawn, a `flowchart TD` after an `INIT`
//! line. One workflow is drawn on its own; several each in a subgraph titled with its name, so
//! that the output is one valid document to paste into a ```` ```mermaid ```` block. Every
//! label is quoted, with `"` written `#quot;` and the other characters Mermaid could read as
//! markup written as entity codes, so any condition survives.

use super::{Graph, NodeKind, WorkflowGraph};

/// The first line of each block. Mermaid wraps a label at 200 pixels of its own accord, about
/// 28 characters, which would break the lines the model already wrapped at `WIDTH`; 400
/// pixels leaves them whole.
pub const INIT: &str = r#"%%{init: {"flowchart": {"wrappingWidth": 400}}}%%"#;

/// Every workflow of `graph` in one document: the one workflow as it is, several each in a
/// subgraph (`w{index}`, titled `workflow NAME`). Nothing when there is no workflow.
pub fn render(graph: &Graph) -> String {
    match graph.workflows.as_slice() {
        [] => String::new(),
        [wf] => render_workflow(wf),
        all => {
            let mut out = format!("{INIT}\nflowchart TD\n");
            for (i, wf) in all.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let title = escape(&format!("workflow {}", wf.name));
                out.push_str(&format!("  subgraph w{}[\"{title}\"]\n", wf.index));
                out.push_str(&body(wf, "    "));
                out.push_str("  end\n");
            }
            out
        }
    }
}

/// One workflow as a flowchart: the `INIT` line, then the nodes in the order they were made,
/// then the edges.
pub fn render_workflow(wf: &WorkflowGraph) -> String {
    format!("{INIT}\nflowchart TD\n{}", body(wf, "  "))
}

/// A workflow's nodes, then its edges, one a line, each after `indent`.
fn body(wf: &WorkflowGraph, indent: &str) -> String {
    let mut out = String::new();
    for node in &wf.nodes {
        let (open, close) = shape(node.kind);
        let label = node
            .lines
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        out.push_str(&format!("{indent}{}{open}\"{label}\"{close}\n", node.id));
    }
    for edge in &wf.edges {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        match &edge.label {
            Some(label) => out.push_str(&format!(
                "{indent}{} {arrow}|\"{}\"| {}\n",
                edge.from,
                escape(label),
                edge.to
            )),
            None => out.push_str(&format!("{indent}{} {arrow} {}\n", edge.from, edge.to)),
        }
    }
    out
}

/// The brackets around a node's label.
fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Entry => (">", "]"),
        NodeKind::Workflow => ("[[", "]]"),
        NodeKind::Action => ("[", "]"),
        NodeKind::Wait => ("[/", "/]"),
        NodeKind::Decision => ("{", "}"),
        NodeKind::Split => ("{{", "}}"),
        NodeKind::Exit | NodeKind::Goal | NodeKind::Holdout => ("([", "])"),
        NodeKind::End => ("((", "))"),
    }
}

/// Text for inside a quoted Mermaid label. Mermaid decodes `#name;` and `#number;` entity
/// codes in labels, so `#` itself is written as one too; `<` and `>` would be read as HTML,
/// `` ` `` as the start of a Markdown string, `|` as the end of an edge label.
pub fn escape(text: &str) -> String {
    super::escape_with(text, |c| match c {
        '"' => Some("#quot;"),
        '#' => Some("#35;"),
        '<' => Some("#lt;"),
        '>' => Some("#gt;"),
        '&' => Some("#amp;"),
        '`' => Some("#96;"),
        '|' => Some("#124;"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            escape(r#"a >= "b" | #c & <d> `e`"#),
            "a #gt;= #quot;b#quot; #124; #35;c #amp; #lt;d#gt; #96;e#96;"
        );
        assert!(!escape("x\ny\"").contains(['\n', '"']));
    }
}
