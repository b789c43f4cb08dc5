"""Meaning classifiers: violation classes recognised however a claim is phrased, in English and Chinese.

- :mod:`core.copy.meaning.encoder`: the sentence encoder (all-MiniLM-L6-v2, shipped as a pip
  package), batched, with a cache per text.
- :mod:`core.copy.meaning.features`: the features a head sees (sentence embedding and hashed
  character n-grams).
- :mod:`core.copy.meaning.model`: :class:`MeaningModel`, one logistic head per class and language,
  with thresholds tuned by cross-validation on the training corpus; saved as plain arrays.
- :mod:`core.copy.meaning.train`: fitting the heads on the labelled corpus (contrast pairs as hard
  negatives).
- :mod:`core.copy.meaning.service`: the one place the model is trained once and loaded after.
"""
