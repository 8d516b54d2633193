//! Graphviz DOT: one `digraph` with a `subgraph cluster_w{index}` per workflow, labelled
//! with its name. Render with `dot -Tsvg`.

use super::{Graph, NodeKind, WorkflowGraph};

/// Every workflow of `graph` in one digraph.
pub fn render(graph: &Graph) -> String {
    let mut out = String::from("digraph nurture {\n");
    out.push_str("  graph [fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for wf in &graph.workflows {
        out.push('\n');
        render_workflow(wf, &mut out);
    }
    out.push_str("}\n");
    out
}

fn render_workflow(wf: &WorkflowGraph, out: &mut String) {
    out.push_str(&format!("  subgraph cluster_w{} {{\n", wf.index));
    out.push_str(&format!("    label=\"{}\";\n", escape(&wf.name)));
    for node in &wf.nodes {
        let label = node
            .lines
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        out.push_str(&format!(
            "    {} [{}, label=\"{label}\"];\n",
            node.id,
            shape(node.kind)
        ));
    }
    for edge in &wf.edges {
        let mut attrs = Vec::new();
        if let Some(label) = &edge.label {
            attrs.push(format!("label=\"{}\"", escape(label)));
        }
        if edge.dashed {
            attrs.push("style=dashed".to_string());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        out.push_str(&format!("    {} -> {}{attrs};\n", edge.from, edge.to));
    }
    out.push_str("  }\n");
}

/// A node's shape attributes.
fn shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Entry => "shape=cds, margin=\"0.2,0.1\"",
        NodeKind::Workflow => "shape=box, peripheries=2",
        NodeKind::Action => "shape=box",
        NodeKind::Wait => "shape=parallelogram",
        NodeKind::Decision => "shape=diamond",
        NodeKind::Split => "shape=hexagon",
        NodeKind::Exit => "shape=box, style=rounded",
        NodeKind::Goal => "shape=box, style=\"rounded,bold\"",
        NodeKind::Holdout => "shape=box, style=\"rounded,dashed\"",
        NodeKind::End => "shape=circle",
    }
}

/// Text for inside a quoted DOT string: `\` and `"` escaped, so `\n` and the like in a
/// condition stay as written.
pub fn escape(text: &str) -> String {
    super::escape_with(text, |c| match c {
        '\\' => Some("\\\\"),
        '"' => Some("\\\""),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(escape(r#"a matches "\bvp" "#), r#"a matches \"\\bvp\" "#);
    }
}
