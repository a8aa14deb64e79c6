package sync

// The HTML report's style sheet and script, inlined in every report: the
// file needs nothing else (its Content-Security-Policy forbids loading
// anything), reads without scripts, and filters with them.

const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="idsync">
`

const htmlStyle = `<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 70em; padding: 0 1em; color: #1b1b1b; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 2px solid #444; padding-bottom: .2em; margin-top: 2em; }
h3 { margin: 1.4em 0 .4em; }
table { border-collapse: collapse; }
td, th { padding: .15em .6em; text-align: left; vertical-align: top; }
table.summary td, table.summary th { border: 1px solid #bbb; }
table.summary td { text-align: right; font-variant-numeric: tabular-nums; }
article.change { border-left: 4px solid #999; margin: .6em 0; padding: .2em .8em; background: #f7f7f7;
  content-visibility: auto; contain-intrinsic-size: auto 9em; }
tr.holder { content-visibility: auto; contain-intrinsic-size: auto 1.6em; }
article[data-kind=joiner] { border-color: #2a8a2a; }
article[data-kind=leaver] { border-color: #b3261e; }
article[data-kind=mover] { border-color: #1f5fbf; }
article[data-kind=rehire], article[data-kind=adopt] { border-color: #7b3fa0; }
article[data-kind=orphan] { border-color: #a07400; }
article h4 { margin: .2em 0; font-size: 1em; }
.mark, .action { font-family: ui-monospace, monospace; }
.action { background: #e4e4e4; border-radius: 3px; padding: 0 .3em; font-weight: normal; }
.name, .ids { color: #555; font-weight: normal; }
.ids { font-size: .85em; }
table.holders td, table.holders th { border-bottom: 1px solid #ddd; }
div.sod, li.violation { color: #b3261e; }
tr[data-status=revoke] td.status { color: #b3261e; font-weight: bold; } tr[data-status=unmanaged] td.status { color: #a07400; }
table.attrs td { font-family: ui-monospace, monospace; font-size: .9em; }
.before { color: #8b1a1a; } .after { color: #185c18; } .rule, .why { color: #555; font-style: italic; }
ul { margin: .2em 0; padding-left: 1.4em; }
.warnings li { color: #8a5300; }
.result { font-weight: bold; }
.result[data-status=applied] { color: #185c18; } .result[data-status=refused], .result[data-status=failed], .result[data-status=partial] { color: #b3261e; }
article.compact { white-space: pre-line; font-size: .92em; }
details.more > summary { cursor: pointer; margin: .6em 0; font-weight: bold; }
details.role > summary { cursor: pointer; } details.role > summary > h3 { display: inline; }
#filter { position: sticky; top: 0; background: #fff; padding: .5em 0; border-bottom: 1px solid #ccc; }
#filter input[type=search] { width: 24em; }
@media print { #filter { display: none; } article.change { break-inside: avoid; } }
</style>
`

// htmlScript shows the filter form and hides the items (a plan's changes,
// a review's holders) that do not match it: the words typed (all of them,
// in any order, in the item's text) and the kinds or statuses ticked.
// Without scripts the form stays hidden and every item shows. A link to
// the page ending in #q=WORDS opens it filtered.
const htmlScript = `<script>
(function () {
  var form = document.getElementById("filter");
  var q = document.getElementById("q");
  var items = document.querySelectorAll("article.change, tr.holder");
  var texts = null; // read on the first filtering: a large page opens without it
  form.hidden = false;
  function count(shown) {
    document.getElementById("shown").textContent = shown + " of " + items.length + " shown";
  }
  function apply() {
    // A filter looks into the folded changes and holders too: their
    // blocks open (a review's roles a reader folded as well).
    document.querySelectorAll("details.more, details.role").forEach(function (d) { d.open = true; });
    if (texts === null) {
      texts = [];
      for (var i = 0; i < items.length; i++) { texts.push(items[i].textContent.toLowerCase()); }
    }
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var kinds = {};
    form.querySelectorAll("input[type=checkbox]").forEach(function (b) { kinds[b.value] = b.checked; });
    var shown = 0;
    for (var j = 0; j < items.length; j++) {
      var c = items[j];
      var ok = kinds[c.dataset.kind || c.dataset.status] !== false && words.every(function (w) { return texts[j].indexOf(w) >= 0; });
      if (c.hidden === ok) { c.hidden = !ok; }
      if (ok) { shown++; }
    }
    count(shown);
  }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  if (location.hash.indexOf("#q=") === 0) {
    q.value = decodeURIComponent(location.hash.slice(3));
    apply();
  } else {
    count(items.length);
  }
})();
</script>
`
