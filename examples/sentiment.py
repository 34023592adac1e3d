"""Classify review sentences as positive or negative: Embedding + LSTM (or a Transformer block)
on the UCI Sentiment Labelled Sentences (Amazon, IMDb and Yelp; 3,000 sentences).

LAMINA_DATA_DIR=../shared/datasets python examples/sentiment.py [--model lstm|transformer]

TextVectorization learns the vocabulary from the training sentences only; padding id 0 is
masked, so the LSTM and the pooling skip it. 20% of the sentences (stratified by site and label)
are held out for the test accuracy.
"""

import argparse

import numpy as np

import lamina
from lamina.callbacks import EarlyStopping
from lamina.datasets import sentiment_sentences
from lamina.layers import (
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    GlobalAveragePooling1D,
    TextVectorization,
    TokenAndPositionEmbedding,
    TransformerEncoder,
)
from lamina.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", choices=["lstm", "transformer"], default="lstm")
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()

VOCABULARY, LENGTH, DIM = 5000, 40, 32

lamina.seed(0)
(x_train, y_train), (x_test, y_test) = sentiment_sentences.load_data()
vectorize = TextVectorization(max_tokens=VOCABULARY, output_sequence_length=LENGTH)
vectorize.adapt(x_train)
ids_train, ids_test = vectorize(x_train).numpy(), vectorize(x_test).numpy()
vocabulary = vectorize.vocabulary_size()
print(f"{len(x_train)} training and {len(x_test)} test sentences, vocabulary {vocabulary}")

if args.model == "lstm":
    layers = [
        Embedding(vocabulary, DIM, mask_zero=True),
        Bidirectional(LSTM(32)),
        Dropout(0.5),
    ]
else:
    layers = [
        TokenAndPositionEmbedding(vocabulary, LENGTH, DIM, mask_zero=True),
        TransformerEncoder(intermediate_dim=64, num_heads=2, dropout=0.1),
        GlobalAveragePooling1D(),
        Dropout(0.5),
    ]
model = Sequential([*layers, Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
model.fit(
    ids_train,
    y_train,
    epochs=args.epochs,
    batch_size=32,
    validation_split=0.1,
    callbacks=[stop],
    verbose=2,
)
loss, accuracy = model.evaluate(ids_test, y_test, verbose=0)
print(f"{args.model} test accuracy: {accuracy:.4f}")

examples = np.array(["The food was wonderful and the staff friendly.", "Worst phone I ever had."])
scores = model.predict(vectorize(examples).numpy(), verbose=0)[:, 0]
for sentence, score in zip(examples, scores):
    print(f"{score:.2f} {'positive' if score > 0.5 else 'negative'}: {sentence}")
