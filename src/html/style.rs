//! The page's fixed parts: the content security policy, the stylesheet, the shared SVG
//! patterns and the few lines of script (filtering a table; nothing needs it to be read).
//! All inline: the file is self-contained (SPEC §10.5).

/// Forbids every request: no script, style, font or image from anywhere but the page, so
/// a browser enforces "self-contained", and reports any attempt on its console.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

pub const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1a1a1a;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:28px 0 6px;border-bottom:2px solid #08306b;padding-bottom:2px}
h3{font-size:15px;margin:18px 0 4px}
.meta{color:#555;margin:0 0 10px}
table{border-collapse:collapse;margin:6px 0 10px}
th,td{border:1px solid #ccc;padding:2px 7px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.diff td{background:#fff3e0}
table.totals{font-size:12.5px}
table.totals th{padding:2px 5px}
figure{margin:8px 0 14px}
figcaption{color:#444;font-size:13px;margin:2px 0}
svg.chart{width:100%;height:auto;display:block;border:1px solid #e3e3e3;background:#fff}
svg text{font:11px system-ui,sans-serif;fill:#222}
svg text.ax{fill:#555}
svg text.pattern{fill:#fff;stroke:#000;stroke-width:3px;paint-order:stroke;font-weight:600}
details{margin:2px 0 8px}summary{cursor:pointer;color:#08306b}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:4px 0;font-size:13px}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend svg{width:26px;height:12px;border:1px solid #999}
.note{color:#555;font-size:13px}
input.filter{margin:4px 0;padding:3px 6px;width:260px}
section.group,section.comparison{content-visibility:auto;contain-intrinsic-size:auto 4000px}
.events td:nth-child(8){max-width:380px}
.events td,details td{overflow-wrap:anywhere}
"#;

/// Shared SVG patterns, referenced by every chart: hatches tell rules apart in greyscale.
pub const DEFS: &str = r##"<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="p-t3" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#c6dbef"></rect><rect width="2.5" height="6" fill="#2171b5"></rect></pattern>
<pattern id="p-t51" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fdd0a2"></rect><circle cx="3" cy="3" r="1.6" fill="#a63603"></circle></pattern>
<pattern id="p-l2" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#fdae6b"></rect><rect width="3" height="6" fill="#7f2704"></rect></pattern>
</defs></svg>"##;

/// Filters a table's rows by the text typed into its filter box.
pub const JS: &str = r#"
document.querySelectorAll('input.filter').forEach(function(box){
  box.addEventListener('input',function(){
    var q=box.value.toLowerCase();
    var t=document.getElementById(box.getAttribute('data-table'));
    if(!t)return;
    t.querySelectorAll('tbody tr').forEach(function(r){
      r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;
    });
  });
});
"#;
