"""Writes the bad-input corpus: small CSV files with the naming and formatting habits of real bank files.

Run from the repository root: ``python tests/unit/data/corpus/build_corpus.py``. The files are
committed; this script documents how each was made (seeded, so it rewrites them identically).
What inference must find in each file is written by hand in ``manifest.json``, not generated.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
FIRST = ["James", "Mary", "Wei", "Fatima", "Carlos", "Aisha", "John", "Priya", "Liam", "Sofia", "Noah", "Olga",
         "Emma", "Ahmed", "Lucia", "Kenji", "Anna", "David", "Maria", "Peter"]
LAST = ["Smith", "Johnson", "Chen", "Khan", "Garcia", "Okafor", "Brown", "Patel", "Nguyen", "Rossi", "Schmidt",
        "Kowalski", "Silva", "Tanaka", "Murphy", "Jones", "Weber", "Lopez", "Taylor", "Wilson"]


def _iban(rng: np.random.Generator) -> str:
    bban = "".join(str(d) for d in rng.integers(0, 10, 18))
    raw = bban + "DE00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in raw)) % 97
    return f"DE{check:02d}{bban}"


def _luhn_complete(prefix: str) -> str:
    digits = [int(d) for d in prefix]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


def _write(name: str, frame: pd.DataFrame, **kw) -> None:
    encoding = kw.pop("encoding", "utf-8")
    frame.to_csv(HERE / name, index=False, encoding=encoding, **kw)


def taiwan(rng: np.random.Generator, n: int = 120) -> None:
    _write("taiwan_default.csv", pd.DataFrame({
        "ID": np.arange(1, n + 1),
        "LIMIT_BAL": rng.choice([20_000, 50_000, 120_000, 200_000, 500_000], n),
        "SEX": rng.choice([1, 2], n),
        "EDUCATION": rng.choice([1, 2, 3, 4], n),
        "MARRIAGE": rng.choice([1, 2, 3], n),
        "AGE": rng.integers(21, 70, n),
        "PAY_0": rng.choice([-1, 0, 1, 2], n),
        "BILL_AMT1": rng.integers(0, 90_000, n),
        "PAY_AMT1": rng.integers(0, 9_000, n),
        "default.payment.next.month": rng.choice([0, 1], n, p=[0.78, 0.22]),
    }))


def give_me_credit(rng: np.random.Generator, n: int = 150) -> None:
    income = rng.lognormal(8.5, 0.5, n).round()
    income[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame({
        "SeriousDlqin2yrs": rng.choice([0, 1], n, p=[0.93, 0.07]),
        "RevolvingUtilizationOfUnsecuredLines": rng.random(n).round(6),
        "age": rng.integers(21, 90, n),
        "NumberOfTime30-59DaysPastDueNotWorse": rng.poisson(0.3, n),
        "DebtRatio": rng.random(n).round(4),
        "MonthlyIncome": income,
        "NumberOfOpenCreditLinesAndLoans": rng.integers(0, 20, n),
        "NumberOfDependents": rng.integers(0, 4, n),
    })
    frame.index = np.arange(1, n + 1)
    frame.to_csv(HERE / "give_me_some_credit.csv", index=True, index_label="")


def bank_churners(rng: np.random.Generator, n: int = 150) -> None:
    _write("bank_churners.csv", pd.DataFrame({
        "CLIENTNUM": rng.choice(np.arange(700_000_000, 830_000_000), n, replace=False),
        "Attrition_Flag": rng.choice(["Existing Customer", "Attrited Customer"], n, p=[0.84, 0.16]),
        "Customer_Age": rng.integers(26, 73, n),
        "Gender": rng.choice(["M", "F"], n),
        "Dependent_count": rng.integers(0, 5, n),
        "Education_Level": rng.choice(["Graduate", "High School", "Unknown", "Uneducated"], n),
        "Marital_Status": rng.choice(["Married", "Single", "Divorced", "Unknown"], n),
        "Income_Category": rng.choice(["Less than $40K", "$40K - $60K", "$60K - $80K", "$120K +"], n),
        "Card_Category": rng.choice(["Blue", "Silver", "Gold"], n),
        "Months_on_book": rng.integers(13, 56, n),
        "Credit_Limit": rng.uniform(1_400, 34_000, n).round(1),
        "Total_Trans_Amt": rng.integers(500, 18_000, n),
        "Total_Trans_Ct": rng.integers(10, 140, n),
    }))


def lending_club(rng: np.random.Generator, n: int = 160) -> None:
    emp = rng.choice(["10+ years", "< 1 year", "3 years", "1 year", "5 years", "n/a"], n, p=[0.3, 0.1, 0.2, 0.15, 0.2, 0.05])
    _write("lending_club.csv", pd.DataFrame({
        "id": [hashlib.md5(f"lc{i}".encode()).hexdigest() for i in range(n)],
        "loan_amnt": rng.choice(np.arange(1_000, 35_000, 25), n),
        "term": rng.choice([" 36 months", " 60 months"], n, p=[0.75, 0.25]),
        "int_rate": [f"{x:.2f}%" for x in rng.uniform(5.3, 26.0, n)],
        "grade": rng.choice(list("ABCDEFG"), n),
        "emp_length": emp,
        "annual_inc": rng.lognormal(11, 0.4, n).round(-2),
        "issue_d": rng.choice(["Dec-2011", "Nov-2011", "Oct-2011", "Jan-2012", "Feb-2012"], n),
        "revol_util": [f"{x:.1f}%" for x in rng.uniform(0, 99, n)],
        "addr_state": rng.choice(["CA", "NY", "TX", "FL", "IL"], n),
        "loan_status": rng.choice(["Fully Paid", "Charged Off"], n, p=[0.85, 0.15]),
    }))


def percent_currency(rng: np.random.Generator, n: int = 120) -> None:
    balance = rng.uniform(-2_000, 25_000, n)
    _write("percent_currency.csv", pd.DataFrame({
        "customer_no": [f"{x:06d}" for x in rng.choice(np.arange(1, 400_000), n, replace=False)],
        "balance": [f"(${-x:,.2f})" if x < 0 else f"${x:,.2f}" for x in balance],
        "utilisation": [f"{x:.2f}%" for x in rng.uniform(0, 100, n)],
        "fee": [f"${x:,.0f}" for x in rng.choice([0, 25, 35, 1_250], n)],
        "segment": rng.choice(["retail", "premier", "business"], n),
        "account_status": rng.choice(["Current", "Delinquent"], n, p=[0.9, 0.1]),
    }))


def european(rng: np.random.Generator, n: int = 110) -> None:
    amount = rng.uniform(100, 250_000, n)
    frame = pd.DataFrame({
        "kunde": rng.choice(np.arange(10_000_000, 99_999_999), n, replace=False),
        "betrag": [f"€ {x:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") for x in amount],
        "zins": [f"{x:.2f}".replace(".", ",") for x in rng.uniform(0.5, 9.5, n)],
        "stadt": rng.choice(["Zürich", "Genève", "München", "Köln", "Wien"], n),
        "vertragsbeginn": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 3_000, n), unit="D"),
        "bad": rng.choice([0, 1], n, p=[0.85, 0.15]),
    })
    frame["vertragsbeginn"] = frame["vertragsbeginn"].dt.strftime("%d.%m.%Y")
    _write("european_semicolon_cp1252.csv", frame, sep=";", encoding="cp1252")


def telco_bom(rng: np.random.Generator, n: int = 120) -> None:
    total = rng.uniform(20, 8_000, n).round(2).astype(str).astype(object)
    total[rng.choice(n, 4, replace=False)] = " "
    frame = pd.DataFrame({
        "customerID": [str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62)))) for _ in range(n)],
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": rng.choice([0, 1], n, p=[0.84, 0.16]),
        "tenure": rng.integers(0, 72, n),
        "Contract": rng.choice(["Month-to-month", "One year", "Two year"], n),
        "MonthlyCharges": [f"${x:.2f}" for x in rng.uniform(18, 119, n)],
        "TotalCharges": total,
        "Churn": rng.choice(["No", "Yes"], n, p=[0.73, 0.27]),
    })
    _write("telco_churn_bom.csv", frame, encoding="utf-8-sig")


def mixed_types(rng: np.random.Generator, n: int = 200) -> None:
    income = [f"{x:.0f}" for x in rng.lognormal(10.5, 0.4, n)]
    for i, code in zip(rng.choice(n, 10, replace=False), ["N/A", "XX", "unknown", "XX", "-", "XX", "unknown", "N/A", "XX", "-"], strict=True):
        income[i] = code
    band = [str(x) for x in rng.integers(1, 9, n)]
    for i in rng.choice(n, 80, replace=False):
        band[i] = str(rng.choice(["A", "B", "C", "AA"]))
    _write("mixed_types.csv", pd.DataFrame({
        "income": income,
        "score_band": band,
        "age_band": rng.choice(["18-25", "26-40", "41-65", "65+"], n),
        "bad": rng.choice([0, 1], n, p=[0.8, 0.2]),
    }), sep="|")


def date_formats(rng: np.random.Generator, n: int = 100) -> None:
    base = pd.to_datetime("2019-01-01") + pd.to_timedelta(rng.integers(0, 1_800, n), unit="D")
    _write("date_formats.csv", pd.DataFrame({
        "open_date": base.strftime("%d/%m/%Y"),
        "last_review": (base + pd.Timedelta(days=200)).strftime("%m/%d/%Y"),
        "vertrag": (base + pd.Timedelta(days=30)).strftime("%d.%m.%Y"),
        "first_month": base.strftime("%b %Y"),
        "start_date": (base - pd.Timestamp("1899-12-30")).days - 90,
        "amount": rng.integers(10_000, 99_999, n),
        "year": rng.choice([2019, 2020, 2021], n),
        "y": rng.choice(["no", "yes"], n, p=[0.8, 0.2]),
    }))


def duplicates(rng: np.random.Generator, n: int = 120) -> None:
    ids = rng.choice(np.arange(100_000, 999_999), n, replace=False)
    ids[[10, 20, 30, 40, 50]] = ids[[11, 21, 31, 41, 51]]
    income = rng.lognormal(10.5, 0.4, n).round()
    region = rng.choice(["north", "south", "east", "west"], n)
    _write("duplicated_columns.csv", pd.DataFrame({
        "customer_id": ids,
        "income": income,
        "income_copy": income,
        "region": region,
        "region_code": pd.Series(region).map({"north": 1, "south": 2, "east": 3, "west": 4}),
        "debt": rng.lognormal(9, 0.5, n).round(),
        "default": rng.choice([0, 1], n, p=[0.8, 0.2]),
    }))


def three_class(rng: np.random.Generator, n: int = 120) -> None:
    _write("three_class_target.csv", pd.DataFrame({
        "loan_amnt": rng.integers(1_000, 30_000, n),
        "dti": rng.uniform(0, 35, n).round(2),
        "purpose": rng.choice(["car", "debt_consolidation", "home_improvement"], n),
        "loan_status": rng.choice(["Fully Paid", "Charged Off", "Current"], n, p=[0.6, 0.15, 0.25]),
    }))


def yes_no_maybe(rng: np.random.Generator, n: int = 90) -> None:
    _write("yes_no_maybe_target.csv", pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "balance": rng.integers(0, 20_000, n),
        "channel": rng.choice(["email", "sms", "branch"], n),
        "response": rng.choice(["yes", "no", "maybe"], n),
    }))


def pii_planted(rng: np.random.Generator, n: int = 100) -> None:
    names = [f"{FIRST[i % 20]} {LAST[(i * 7) % 20]}" for i in rng.permutation(n)]
    cards = [_luhn_complete("4" + "".join(str(d) for d in rng.integers(0, 10, 14))) for _ in range(n)]
    notes = [f"Called on {rng.integers(1, 28)}/03, asked to write to {FIRST[i % 20].lower()}@mail.example.com"
             if i % 3 == 0 else "No contact needed" if i % 3 == 1 else f"Prefers phone: +44 20 7946 {rng.integers(1000, 9999)}"
             for i in range(n)]
    dob = pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 50, n), unit="D")
    uk = [f"{rng.choice(['SW', 'EC', 'M', 'B', 'LS'])}{rng.integers(1, 20)} {rng.integers(1, 9)}{rng.choice(list('ABDEFGH'))}{rng.choice(list('JLNPQRS'))}" for _ in range(n)]
    _write("pii_planted.csv", pd.DataFrame({
        "customer_id": np.arange(5_001, 5_001 + n),
        "col_7": names,
        "ref": [_iban(rng) for _ in range(n)],
        "notes": notes,
        "col_3": cards,
        "col_9": np.unique(rng.integers(10**11, 10**12 - 1, 3 * n))[:n][rng.permutation(n)],
        "area": uk,
        "loc": [f"{rng.integers(10_000, 99_999)}-{rng.integers(1_000, 9_999)}" for _ in range(n)],
        "x1": [f"{rng.integers(100, 899)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)}" for _ in range(n)],
        "d1": dob.strftime("%Y-%m-%d"),
        "balance": rng.uniform(0, 10_000, n).round(2),
        "bad": rng.choice([0, 1], n, p=[0.85, 0.15]),
    }))


def churn_modelling(rng: np.random.Generator, n: int = 150) -> None:
    _write("churn_modelling.csv", pd.DataFrame({
        "RowNumber": np.arange(1, n + 1),
        "CustomerId": rng.choice(np.arange(15_565_701, 15_815_690), n, replace=False),
        "Surname": [LAST[i % 20] for i in rng.permutation(n)],
        "CreditScore": rng.integers(350, 850, n),
        "Geography": rng.choice(["France", "Spain", "Germany"], n),
        "Gender": rng.choice(["Female", "Male"], n),
        "Age": rng.integers(18, 92, n),
        "Tenure": rng.integers(0, 10, n),
        "Balance": rng.uniform(0, 250_000, n).round(2),
        "NumOfProducts": rng.integers(1, 4, n),
        "HasCrCard": rng.choice([0, 1], n),
        "IsActiveMember": rng.choice([0, 1], n),
        "EstimatedSalary": rng.uniform(11, 200_000, n).round(2),
        "Exited": rng.choice([0, 1], n, p=[0.8, 0.2]),
    }))


def kaggle_german(rng: np.random.Generator, n: int = 100) -> None:
    frame = pd.DataFrame({
        "Age": rng.integers(19, 75, n),
        "Sex": rng.choice(["male", "female"], n),
        "Job": rng.integers(0, 4, n),
        "Housing": rng.choice(["own", "rent", "free"], n),
        "Saving accounts": rng.choice(["little", "moderate", "rich", None], n),
        "Credit amount": rng.integers(250, 18_000, n),
        "Duration": rng.choice([6, 12, 18, 24, 36, 48], n),
        "Purpose": rng.choice(["car", "radio/TV", "education", "business"], n),
        "Risk": rng.choice(["good", "bad"], n, p=[0.7, 0.3]),
    })
    frame.to_csv(HERE / "kaggle_german_risk.csv", index=True)


def not_fully_paid(rng: np.random.Generator, n: int = 130) -> None:
    _write("loan_data_dotted.csv", pd.DataFrame({
        "credit.policy": rng.choice([0, 1], n, p=[0.2, 0.8]),
        "purpose": rng.choice(["debt_consolidation", "credit_card", "all_other"], n),
        "int.rate": rng.uniform(0.06, 0.22, n).round(4),
        "installment": rng.uniform(15, 940, n).round(2),
        "log.annual.inc": rng.normal(10.9, 0.6, n).round(4),
        "dti": rng.uniform(0, 30, n).round(2),
        "fico": rng.integers(612, 828, n),
        "inq.last.6mths": rng.poisson(1.5, n),
        "delinq.2yrs": rng.poisson(0.2, n),
        "not.fully.paid": rng.choice([0, 1], n, p=[0.84, 0.16]),
    }))


def units(rng: np.random.Generator, n: int = 100) -> None:
    _write("units.csv", pd.DataFrame({
        "loan_ref": [f"LN-{x:07d}" for x in rng.choice(np.arange(1, 9_999_999), n, replace=False)],
        "term": rng.choice(["36 mo", "60 mo", "12 mo", "3 yrs"], n),
        "time_at_address": [f"{x} yrs" for x in rng.integers(0, 30, n)],
        "parcel_weight": [f"{x}kg" for x in rng.integers(1, 40, n)],
        "limit": [f"{x:,}".replace(",", " ") + ",00 zł" for x in rng.integers(1_000, 60_000, n)],
        "bad_flag": rng.choice(["false", "true"], n, p=[0.85, 0.15]),
    }))


def status_text(rng: np.random.Generator, n: int = 100) -> None:
    _write("status_text.csv", pd.DataFrame({
        "member": [f"M{x}" for x in rng.choice(np.arange(100_000, 999_999), n, replace=False)],
        "exposure": rng.uniform(500, 40_000, n).round(2),
        "months_on_book": rng.integers(1, 120, n),
        "product": rng.choice(["card", "personal", "auto"], n),
        "facility_status": rng.choice(["Performing", "Non-performing"], n, p=[0.9, 0.1]),
    }))


def main() -> None:
    builders = [taiwan, give_me_credit, bank_churners, lending_club, percent_currency, european, telco_bom,
                mixed_types, date_formats, duplicates, three_class, yes_no_maybe, pii_planted, churn_modelling,
                kaggle_german, not_fully_paid, units, status_text]
    for i, build in enumerate(builders):
        build(np.random.default_rng(1000 + i))


if __name__ == "__main__":
    main()
