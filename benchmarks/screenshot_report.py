"""Screenshot a study's report.html in headless Chromium and check that it fits the page.

Renders ``<run>/report.html`` at 1300 px width in Debian's ``chromium`` (``apt-get
install chromium``), checks from the page's own layout that nothing is wider than the
page (``document.documentElement.scrollWidth <= 1300`` and no table block that needs a
horizontal scroll bar), prints what it measured and writes a PNG screenshot of the top
of the page (the docs' ``docs/_static/study_report.png``). Exit status 1 when the check
fails. Not part of the test suite (CI has no Chromium).

    python benchmarks/screenshot_report.py results/                 # an existing run
    python benchmarks/screenshot_report.py /tmp/shot --study \\
        --png docs/_static/study_report.png                          # run a small study first

``--study`` runs ``skgalvae study --n-galaxies 600 --image-size 32 --epochs 10`` into the
folder first (about a minute on two cores; the folder is reused when up to date).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The page width the report must fit.
WIDTH = 1300
#: Chromium's flags: no network, no profile, no GPU.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--run-all-compositor-stages-before-draw")
#: Injected into a copy of the page: measures the layout and writes it into the DOM.
_PROBE = """<script>
window.addEventListener('load', function () {
  var page = document.documentElement, wide = [], scrolled = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > window.innerWidth + 0.5) {
      wide.push(el.tagName + (el.id ? '#' + el.id : '') + ' right=' + Math.round(box.right));
    }
  });
  document.querySelectorAll('.tables').forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) {
      scrolled.push(el.id + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  });
  var widest = 0;
  document.querySelectorAll('table').forEach(function (t) {
    widest = Math.max(widest, t.getBoundingClientRect().width); });
  var out = document.createElement('pre');
  out.id = 'layout-probe';
  out.textContent = JSON.stringify({
    innerWidth: window.innerWidth, scrollWidth: page.scrollWidth,
    scrollHeight: page.scrollHeight, tables: document.querySelectorAll('table').length,
    widest_table: Math.round(widest), body_width: document.body.clientWidth,
    images: document.images.length,
    broken_images: Array.prototype.filter.call(document.images, function (i) {
      return !(i.complete && i.naturalWidth > 0); }).length,
    wide: wide.slice(0, 20), scrolled: scrolled});
  document.body.appendChild(out);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    msg = "no Chromium found: install Debian's package with `apt-get install -y chromium`."
    raise SystemExit(msg)


def _run(args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="skgalvae-chromium-") as profile:
        cmd = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False)


def measure(report, width=WIDTH):
    """The layout of ``report`` at ``width`` px, measured by the page's own script."""
    probe = report.with_name(".layout_probe.html")
    probe.write_text(report.read_text().replace("</body>", _PROBE + "</body>"))
    try:
        res = _run([f"--window-size={width},1000", "--virtual-time-budget=10000",
                    "--dump-dom", probe.resolve().as_uri()])
    finally:
        probe.unlink()
    match = re.search(r'<pre id="layout-probe">(.*?)</pre>', res.stdout, re.S)
    if match is None:
        msg = ("the layout probe wrote nothing (a script error in the page?); Chromium said:\n"
           f"{res.stderr[-2000:]}")
        raise SystemExit(msg)
    import html

    return json.loads(html.unescape(match.group(1)))


def screenshot(report, png, width=WIDTH, height=2600):
    """Write a ``width`` x ``height`` PNG of the top of ``report``."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    res = _run([f"--window-size={width},{height}", "--virtual-time-budget=10000",
                f"--screenshot={png}", report.resolve().as_uri()])
    if not png.is_file():
        msg = f"Chromium wrote no screenshot; it said:\n{res.stderr[-2000:]}"
        raise SystemExit(msg)
    return png


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the study's output folder (--out)")
    parser.add_argument("--study", action="store_true",
                        help="run a small study into the folder first")
    parser.add_argument("--png", type=Path, default=None,
                        help="screenshot path (default <run>/report_1300px.png)")
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--height", type=int, default=2600,
                        help="height of the screenshot in px (the top of the page)")
    args = parser.parse_args(argv)
    if args.study:
        from skgalvae.study import main as skgalvae

        status = skgalvae(["study", "--n-galaxies", "600", "--image-size", "32",
                           "--epochs", "10", "--n-jobs", "1", "--out", str(args.run),
                           "--quiet"])
        if status:
            return status
    report = args.run / "report.html"
    if not report.is_file():
        print(f"{report} does not exist: run the study first (or pass --study).",
              file=sys.stderr)
        return 1
    layout = measure(report, args.width)
    print(json.dumps(layout, indent=1))
    png = screenshot(report, args.png or args.run / f"report_{args.width}px.png",
                     args.width, args.height)
    print(f"screenshot: {png} ({args.width}x{args.height})")
    fits = (layout["scrollWidth"] <= args.width and not layout["wide"]
            and not layout["scrolled"] and not layout["broken_images"])
    print(f"innerWidth {layout['innerWidth']} px, scrollWidth {layout['scrollWidth']} px "
          f"<= {args.width}: {layout['scrollWidth'] <= args.width}; elements past the "
          f"right edge: {len(layout['wide'])}; table blocks that scroll: "
          f"{len(layout['scrolled'])}; broken images: {layout['broken_images']}")
    print("OK: the report fits the page" if fits else "FAIL: something is wider than the page")
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main())
