"""Forecast monthly airline passengers with an LSTM, and compare it with the seasonal-naive
forecast on the held-out last 24 months (1959-1960).

LAMINA_DATA_DIR=../shared/datasets python examples/time_series_forecasting.py

The series grows and its seasonal swings grow with it, so the LSTM models the month-to-month
change of log(passengers), scaled with the training months' statistics only: each input is the
12 previous changes, each target the next change. Forecasts are one step ahead: each test month
is predicted from the months before it. Baselines: the seasonal-naive forecast (the value of 12
months earlier) and the naive one (last month's value).
"""

import numpy as np

import lamina
from lamina.datasets import airline_passengers
from lamina.layers import LSTM, Dense, Input
from lamina.models import Sequential
from lamina.utils import timeseries_dataset_from_array

WINDOW, TEST_MONTHS = 12, 24

lamina.seed(0)
months, passengers = airline_passengers.load_data()
log = np.log(passengers.astype(np.float64))
change = np.diff(log)  # change[i] = log[i + 1] - log[i]
first_test = len(passengers) - TEST_MONTHS  # index of the first held-out month

# Scale with the statistics of the changes that lead into training months only.
train_changes = change[: first_test - 1]
mean, std = train_changes.mean(), train_changes.std()
scaled = ((change - mean) / std).astype(np.float32)[:, None]

# Window i holds changes i .. i+11; its target, change i+12, leads into month i+13. The first
# n_train windows predict training months only.
n_train = first_test - WINDOW - 1
train_data = timeseries_dataset_from_array(
    scaled[: n_train + WINDOW - 1],
    targets=scaled[WINDOW : WINDOW + n_train],
    sequence_length=WINDOW,
    batch_size=16,
    shuffle=True,
    seed=0,
)

model = Sequential([Input(shape=(WINDOW, 1)), LSTM(32), Dense(1)])
model.compile(optimizer=lamina.optimizers.Adam(1e-3), loss="mse")
model.fit(train_data, epochs=150, verbose=0)

test_months = np.arange(first_test, len(passengers))
windows = np.stack([scaled[m - 1 - WINDOW : m - 1] for m in test_months])
predicted_change = model.predict(windows, verbose=0)[:, 0] * std + mean
forecast = np.exp(log[test_months - 1] + predicted_change)
actual = passengers[test_months]


def rmse(prediction):
    return float(np.sqrt(np.mean((prediction - actual) ** 2)))


lstm_rmse = rmse(forecast)
seasonal_rmse = rmse(passengers[test_months - 12])
naive_rmse = rmse(passengers[test_months - 1])
print(f"held-out months: {months[test_months[0]]} to {months[test_months[-1]]}")
print(f"RMSE (thousands of passengers): LSTM {lstm_rmse:.1f}, "
      f"seasonal naive {seasonal_rmse:.1f}, naive {naive_rmse:.1f}")  # fmt: skip
print("LSTM beats seasonal naive:", lstm_rmse < seasonal_rmse)
