#!/usr/bin/env python3
"""Published SavedModels from PyPI packages, run by wgtf and by TensorFlow on the same input.

  .venv-tf/bin/python bench/realworld/savedmodels.py [--wgtf target/release/wgtf]

Downloads each pinned wheel (pip download, no dependencies) into bench/realworld/work/pypi/,
loads the SavedModel with TensorFlow 2.21 (its serving signature), feeds both the same input,
and prints the max abs error of every output against TensorFlow's. Exits non-zero when wgtf
fails or an error exceeds the model's tolerance. Needs the network (PyPI) and TensorFlow; the
tests never run it.
"""
import argparse, os, subprocess, sys, zipfile
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, 'work', 'pypi')

# (id, pip requirement, wheel file, SavedModel dir inside the wheel, license, feeds: name -> (shape, scale), tolerance)
MODELS = [
    ('basic-pitch', 'basic-pitch==0.4.0', 'basic_pitch-0.4.0-py2.py3-none-any.whl',
     'basic_pitch/saved_models/icassp_2022/nmp', 'Apache-2.0 (Spotify)',
     {'input_2': ((1, 43844, 1), 0.1)}, 1e-4),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--wgtf', default=os.environ.get('WGTF', 'target/release/wgtf'))
    args = ap.parse_args()
    import tensorflow as tf
    failed = 0
    for mid, req, wheel, inner, lic, feeds, tol in MODELS:
        d = os.path.join(WORK, mid)
        os.makedirs(d, exist_ok=True)
        whl = os.path.join(d, wheel)
        if not os.path.exists(whl):
            subprocess.run([sys.executable, '-m', 'pip', 'download', req, '--no-deps', '-d', d], check=True, capture_output=True)
        sm = os.path.join(d, 'unpacked', inner)
        if not os.path.exists(sm):
            zipfile.ZipFile(whl).extractall(os.path.join(d, 'unpacked'))
        rng = np.random.default_rng(0)
        inputs = {n: (rng.standard_normal(shape) * scale).astype(np.float32) for n, (shape, scale) in feeds.items()}
        ref = tf.saved_model.load(sm).signatures['serving_default'](**{n: tf.constant(v) for n, v in inputs.items()})
        cmd = [args.wgtf, 'run', sm]
        for n, v in inputs.items():
            np.save(os.path.join(d, f'in_{n}.npy'), v)
            cmd += ['-i', f'{n}={os.path.join(d, f"in_{n}.npy")}']
        outs = sorted(ref.keys())
        for n in outs:
            cmd += ['-o', f'{n}={os.path.join(d, f"out_{n}.npy")}']
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print(f'{mid}: wgtf failed: {r.stderr.strip()}')
            failed += 1
            continue
        for n in outs:
            want, got = ref[n].numpy(), np.load(os.path.join(d, f'out_{n}.npy'))
            err = float(np.abs(want.astype(np.float64) - got).max()) if want.shape == got.shape else float('inf')
            ok = err <= tol
            failed += not ok
            print(f'{mid} ({req}, {lic}) {n} {tuple(want.shape)}: max abs error {err:.2g} (max |value| {float(np.abs(want).max()):.3g}) {"ok" if ok else "FAIL"}')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
