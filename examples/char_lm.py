"""Character-level language model on the Python standard library's own source code.

Embedding -> LSTM (or GRU) -> Dense softmax, trained with a fixed seed to predict every next
character of 64-character windows. Prints the validation perplexity next to the smoothed
character-trigram baseline (interpolated Kneser-Ney, discounts tuned on the training text only)
on the same split, then samples text from the model at a few temperatures.

    python examples/char_lm.py                 # the defaults: GRU(256), 4 epochs
    python examples/char_lm.py --cell lstm --epochs 2 --units 128
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import ironnet
from ironnet import baselines, initializers, layers, models, optimizers
from ironnet.datasets import python_source


def build_model(vocab_size: int, units: int, cell: str = "gru", embed_dim: int = 32) -> models.Sequential:
    """(B, T) int ids -> (B, T, vocab_size) next-character probabilities."""
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[cell]
    # Unit-variance embeddings (PyTorch's default) instead of Keras's uniform +-0.05: with inputs
    # that small the recurrent layer starts nearly blind to them, and the model needs about twice
    # the updates to reach the same perplexity.
    return models.Sequential([
        layers.Embedding(vocab_size, embed_dim, embeddings_initializer=initializers.RandomNormal(stddev=1.0)),
        recurrent(units, return_sequences=True),
        layers.Dense(vocab_size, activation="softmax"),
    ])


def sample(model: models.Sequential, vocab: python_source.CharVocab, prompt: str, length: int,
           temperature: float, rng: np.random.Generator, context: int = 64) -> str:
    """``length`` characters drawn one at a time after ``prompt``, each from the model's next-character
    distribution sharpened (temperature < 1) or flattened (> 1) as p ** (1 / temperature), given the
    last ``context`` characters. The unknown bucket is never drawn."""
    if temperature <= 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature}")
    ids = list(vocab.encode(prompt))
    for _ in range(length):
        window = np.asarray(ids[-context:], np.int32)[None, :]
        probs = model.predict(window)[0, -1].astype(np.float64)
        logits = np.log(np.maximum(probs, 1e-30)) / temperature
        logits[0] = -np.inf
        p = np.exp(logits - logits.max())
        ids.append(int(rng.choice(len(p), p=p / p.sum())))
    return vocab.decode(np.asarray(ids[len(prompt):]))


def run(epochs: int = 4, units: int = 256, cell: str = "gru", seq_len: int = 64, batch_size: int = 64,
        learning_rate: float = 0.01, train_chars: int | None = None, seed: int = 0, verbose: int = 0) -> dict:
    """Trains the model and the trigram baseline on the same split; returns their figures and the model.

    Both are scored on the whole validation text: the model on its 64-character windows, each read
    from a fresh state (so early positions in a window see little context), the trigram on every
    character after the first two.
    train_chars: use only the first train_chars characters of the training text (for quick runs);
    the validation text is always the whole validation split.
    """
    ironnet.set_random_seed(seed)
    (train, val), vocab = python_source.load_data()
    if train_chars is not None:
        train = train[:train_chars]
    start = time.perf_counter()
    trigram = baselines.KneserNeyLM(vocab.size, order=3).fit_tuned(train)
    trigram_ppl = trigram.perplexity(val)
    trigram_seconds = time.perf_counter() - start

    x, y = python_source.windows(train, seq_len)
    x_val, y_val = python_source.windows(val, seq_len)
    model = build_model(vocab.size, units, cell)
    steps = epochs * (len(x) // batch_size + 1)
    schedule = optimizers.schedules.ExponentialDecay(learning_rate, decay_steps=steps, decay_rate=0.3)
    model.compile(optimizers.Adam(schedule, global_clipnorm=5.0), "sparse_categorical_crossentropy",
                  metrics=["perplexity"])
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
    train_seconds = time.perf_counter() - start
    logs = model.evaluate(x_val, y_val, batch_size=256, verbose=0, return_dict=True)
    return {
        "model": model, "vocab": vocab, "trigram": trigram,
        "val_perplexity": logs["perplexity"], "val_loss": logs["loss"],
        "trigram_perplexity": trigram_ppl, "trigram_discounts": trigram.discounts,
        "train_seconds": train_seconds, "trigram_seconds": trigram_seconds,
        "train_chars": int(train.size), "val_chars": int(val.size),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=["lstm", "gru"], default="gru")
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ironnet.set_num_threads(args.threads)
    r = run(epochs=args.epochs, units=args.units, cell=args.cell, seed=args.seed, verbose=1)
    print(f"corpus: {r['train_chars']} training / {r['val_chars']} validation characters, "
          f"{r['vocab'].size} symbols (unknown bucket included)")
    print(f"trigram (interpolated Kneser-Ney, discounts {r['trigram_discounts']}): "
          f"validation perplexity {r['trigram_perplexity']:.3f} ({r['trigram_seconds']:.1f} s)")
    print(f"{args.cell.upper()}({args.units}): validation perplexity {r['val_perplexity']:.3f} "
          f"(loss {r['val_loss']:.4f} nats/char), trained in {r['train_seconds']:.1f} s")
    rng = np.random.default_rng(args.seed)
    for temperature in (0.7, 1.0):
        text = sample(r["model"], r["vocab"], "def ", 300, temperature, rng)
        print(f"\n--- sample at temperature {temperature} ---\ndef {text}")


if __name__ == "__main__":
    main()
