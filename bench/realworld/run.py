#!/usr/bin/env python3
"""Builds the real-world TF.js corpus if needed and runs wgtf on it.

  run.py [--wgtf target/release/wgtf] [--tf-python .venv-tf/bin/python]
         [--only ID,...] [--sets pb,json] [--timeout 300] [--skip-build] [--verify]
         [--markdown]

Steps (each skipped when its outputs exist; --force-build redoes them):
  1. fetch.py                 npm tarballs -> work/models/<id>/model.json + shards
  2. tfjs_to_pb.py --all      -> published.pb, reference.pb, convert.json
  3. make_cases.py            -> work/cases/{pb,json}/public/<id>/
  (--verify also runs verify_rewrite.py)
then, for each set, shared/conformance/check.py --cases work/cases/<set> --set public
--cmd '<wgtf> run {model} {feeds} {fetches}' (output in work/results/<set>.txt), and
`<wgtf> info` on every published.pb -> work/ops_summary.txt (full runs only). A summary of both sets goes
to work/results/summary.json; --markdown prints it as the README's results table.

Paths are relative to the repository root (two levels up). Steps 2-3 need
TensorFlow (tensorflow-cpu 2.21, in --tf-python); step 1 needs node for nsfwjs.
"""
import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(HERE, "work")
CHECK = os.environ.get("WGTF_CONFORMANCE_CHECK",
                       os.path.join(os.path.dirname(REPO), "shared", "conformance", "check.py"))
if not os.path.exists(CHECK):
    CHECK = os.path.join(REPO, "shared", "conformance", "check.py")


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, **kw)


def load_manifest():
    with open(os.path.join(HERE, "manifest.json")) as f:
        return json.load(f)


def build(args, ids):
    only = ["--only", ",".join(ids)] if args.only else []
    force = ["--force"] if args.force_build else []
    r = sh([sys.executable, os.path.join(HERE, "fetch.py")] + only + force)
    if r.returncode:
        sys.exit("fetch.py failed")
    r = sh([args.tf_python, os.path.join(HERE, "tfjs_to_pb.py"), "--all"] + only + force)
    if r.returncode:
        sys.exit("tfjs_to_pb.py failed")
    r = sh([args.tf_python, os.path.join(HERE, "make_cases.py")] + only + force)
    if r.returncode:
        sys.exit("make_cases.py failed")
    if args.verify:
        r = sh([args.tf_python, os.path.join(HERE, "verify_rewrite.py")])
        if r.returncode:
            sys.exit("verify_rewrite.py failed")


def check(args, which, ids):
    os.makedirs(os.path.join(WORK, "results"), exist_ok=True)
    cmd = [sys.executable, CHECK, "--cases", os.path.join(WORK, "cases", which), "--set", "public",
           "--timeout", str(args.timeout), "--cmd", "%s run {model} {feeds} {fetches}" % args.wgtf]
    if args.only:
        cmd += ["--only", ",".join(ids)]
    print("+ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    lines = []
    for ln in p.stdout:
        print("  [%s] %s" % (which, ln.rstrip()), flush=True)
        lines.append(ln.rstrip())
    p.wait()
    with open(os.path.join(WORK, "results", "%s.txt" % which), "w") as f:
        f.write("\n".join(lines) + "\n")
    res = {}
    for ln in lines:
        m = re.match(r"(PASS|FAIL|SKIP) (\S+) ?(.*)", ln)
        if m:
            res[m.group(2)] = {"status": m.group(1), "detail": m.group(3)}
    return res, (lines[-1] if lines else "")


def info(args, path):
    try:
        out = subprocess.run([args.wgtf, "info", path], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    text = out.stdout + out.stderr
    if out.returncode:
        return None, text.strip().splitlines()[-1] if text.strip() else "exit %d" % out.returncode
    m = re.search(r"unsupported ops: (.*)", text)
    uns = set()
    if m and m.group(1).strip() != "none":
        uns = set(x.strip().split(" ")[0] for x in m.group(1).split(",") if x.strip())
    return uns, text


def ops_summary(args, man, ids):
    hist = Counter()
    lines = []
    per_model = {}
    for m in man["models"]:
        if m["id"] not in ids:
            continue
        pb = os.path.join(WORK, "models", m["id"], "published.pb")
        ops = Counter(op for _, op, _ in graphdef_nodes(pb))
        uns, text = info(args, pb)
        per_model[m["id"]] = sorted(uns) if uns is not None else None
        lines.append("%s  (%s@%s %s)" % (m["id"], m["package"], m["version"], m["path"]))
        if uns is None:
            lines.append("  wgtf info failed: %s" % text)
        for op in sorted(ops):
            flag = "" if uns is None else ("UNSUPPORTED" if op in uns else "ok")
            lines.append("  %-32s %5d  %s" % (op, ops[op], flag))
            if uns and op in uns:
                hist[op] += 1
        lines.append("")
    head = ["Op types per model (published.pb) and whether `wgtf info` reports them unsupported.",
            "wgtf: %s" % args.wgtf, "",
            "Unsupported ops across the corpus (op: number of models): %s" %
            (", ".join("%s: %d" % kv for kv in hist.most_common()) or "none"), ""]
    with open(os.path.join(WORK, "ops_summary.txt"), "w") as f:
        f.write("\n".join(head + lines))
    return hist, per_model


def graphdef_nodes(path):
    sys.path.insert(0, os.path.dirname(CHECK))
    import check as chk  # the conformance checker's tiny protobuf reader
    return chk.graphdef_nodes(path)


def short_license(text):
    s = text.split(" (")[0]
    return s + "?" if "unverified" in text and not s.startswith("unverified") else s


def markdown(summary, man):
    tf_only = {"_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "Prelu"}
    rows = ["| id | package@version | license (package / model) | task | weights | TF.js-specific ops | pb | json |",
            "|---|---|---|---|---:|---|---|---|"]
    for m in man["models"]:
        s = summary["models"].get(m["id"])
        if not s:
            continue
        tfjs = ", ".join(sorted(set(m.get("ops", [])) & tf_only)) or "-"

        def cell(x):
            if not x:
                return "-"
            if x["status"] == "PASS":
                return "PASS"
            d = re.sub(r"^exit code (\d+): wgtf: error: \S+: ", r"(exit \1) ", x["detail"])
            return "FAIL " + d.replace("|", "\\|")[:220]
        rows.append("| %s | %s@%s | %s / %s | %s | %.2f MB | %s | %s | %s |" % (
            m["id"], m["package"], m["version"], m["license"].split(" (")[0], short_license(m.get("model_license", "?")),
            m["task"],
            m.get("weight_bytes", 0) / 1e6, tfjs, cell(s.get("pb")), cell(s.get("json"))))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wgtf", default=os.environ.get("WGTF", os.path.join(REPO, "target", "release", "wgtf")))
    ap.add_argument("--tf-python", default=os.environ.get("WGTF_TF_PYTHON", os.path.join(REPO, ".venv-tf", "bin",
                                                                                        "python")))
    ap.add_argument("--only", help="comma-separated model ids")
    ap.add_argument("--sets", default="pb,json")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--skip-build", action="store_true", help="use the cases as they are")
    ap.add_argument("--force-build", action="store_true", help="redo fetch/convert/cases")
    ap.add_argument("--verify", action="store_true", help="also run verify_rewrite.py")
    ap.add_argument("--markdown", action="store_true", help="only print the results table of the last run")
    args = ap.parse_args()
    args.wgtf = os.path.abspath(args.wgtf)
    man = load_manifest()
    ids = [m["id"] for m in man["models"]]
    if args.only:
        want = set(args.only.split(","))
        ids = [i for i in ids if i in want]
    spath = os.path.join(WORK, "results", "summary.json")
    if args.markdown:
        with open(spath) as f:
            print(markdown(json.load(f), man))
        return 0
    if not args.skip_build:
        build(args, ids)
    if not os.path.exists(args.wgtf):
        sys.exit("no wgtf binary at %s (cargo build --release)" % args.wgtf)
    summary = {"wgtf": args.wgtf, "models": {i: {} for i in ids}, "totals": {}}
    if os.path.exists(spath) and args.only:
        with open(spath) as f:
            old = json.load(f)
        summary["models"] = {**old.get("models", {}), **summary["models"]}
        summary["totals"] = old.get("totals", {})
    for which in args.sets.split(","):
        res, last = check(args, which, ids)
        for k, v in res.items():
            summary["models"].setdefault(k, {})[which] = v
        if not args.only:
            summary["totals"][which] = last
        else:
            summary.setdefault("last_partial", {})[which] = last
    if args.only:  # keep the full run's ops_summary.txt and totals
        hist, per_model = Counter(summary.get("unsupported_histogram", {})), {}
    else:
        hist, per_model = ops_summary(args, man, ids)
    for k, v in per_model.items():
        summary["models"].setdefault(k, {})["unsupported_ops"] = v
    summary["unsupported_histogram"] = dict(hist)
    with open(spath, "w") as f:
        json.dump(summary, f, indent=1)
    print()
    for which in args.sets.split(","):
        print("%-5s %s" % (which, (summary.get("last_partial", {}) if args.only else summary["totals"]).get(which, "")))
    print("unsupported ops: %s" % (", ".join("%s (%d models)" % kv for kv in hist.most_common()) or "none"))
    print("ops summary: %s" % os.path.join(WORK, "ops_summary.txt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
