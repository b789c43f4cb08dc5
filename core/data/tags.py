"""What each column means in the bank's domain, inferred for any file from its name and values.

Tags (:class:`core.data.schema.Tag`) drive every fair-lending and modelling default: protected
attributes and their proxies stay out of credit decisions, macro and geographic conditions never
become reasons given to an applicant, post-outcome columns are leaks, and counterfactuals only
move what an applicant can change. The rules here read a column's name in any habit
(``Customer_Age``, ``personal_status``, ``NumberOfTime30-59DaysPastDueNotWorse``) and its values
(``male/female/m/f`` is protected whatever the column is called; US state codes and country names
are geographic), with the file as context (in a campaign file ``duration`` is the length of the
call: known only after the outcome). Each tag comes with the reason it was given.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from core.data.naming import snake
from core.data.parse import distinct_text
from core.data.schema import Role, Schema, Tag

# (tag, pattern over the snake_case name, why) — several rules may tag one column
_NAME_RULES: tuple[tuple[Tag, str, str], ...] = (
    (Tag.PROTECTED, r"(^|_)(age|ages|age_years|age_in_years|customer_age|applicant_age|client_age|borrower_age|"
                    r"age_at_application|dob|date_of_birth|birth_date|year_of_birth|birth_year|"
                    r"alter|lebensalter|geburtsdatum|geburtsjahr|edad|leeftijd|date_de_naissance|fecha_de_nacimiento|"
                    r"geboortedatum)($|_)",  # and as European exports name it (accents folded)
     "age is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(sex|gender|gender_code|sex_code|geschlecht|sexe|sexo|geslacht)($|_)", "sex is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(marital|marital_status|marriage|married|civil_status|personal_status|familienstand|"
                    r"situation_familiale|estado_civil|burgerlijke_staat)($|_)",
     "marital status is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(race|racial|ethnicity|ethnic|ethnic_group|colou?r_of_skin|skin_colou?r)($|_)",
     "race and colour are prohibited bases (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(religion|religious|faith|denomination|konfession|religionszugehorigkeit)($|_)", "religion is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(national_origin|nationality|citizenship|citizen|foreign_worker|foreign|immigrant|"
                    r"immigration_status|country_of_birth|birth_country|birth_?place|staatsangehorigkeit|nationalitat|"
                    r"nationalite|nacionalidad|nationaliteit|geburtsort|geburtsland)($|_)",
     "national origin is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(public_assistance|welfare|benefits_income|social_benefits|food_stamps|snap)($|_)",
     "receipt of public assistance is a prohibited basis (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(senior|senior_citizen|pensioner|retiree)($|_)", "it encodes age (ECOA)"),
    (Tag.PROTECTED, r"(^|_)(disability|disabled|handicap|pregnan\w*)($|_)", "a protected characteristic"),
    (Tag.PROXY, r"(^|_)(personal_status|first_?name|given_?name|forename|language|mother_tongue|native_language|"
                r"post_?code|zip|zip_?code|zipcode|postal_?code|zip_?3|surname|last_?name|vorname|prenom|nombre|voornaam|"
                r"muttersprache|plz|postleitzahl|code_postal|codigo_postal)($|_)",
     "strongly associated with a prohibited basis (sex, national origin or race)"),
    (Tag.MACRO, r"(unemploy|policy_rate|base_rate|bank_rate|interest_rate_env|house_price|(^|_)hpi($|_)|(^|_)gdp|"
                r"inflation|(^|_)cpi($|_)|euribor|libor|sofr|cons_price|cons_conf|consumer_confidence|emp_var_rate|"
                r"nr_employed|(^|_)macro_)", "an economic condition, not the applicant's own"),
    (Tag.GEOGRAPHIC, r"(^|_)(region|regional|state|addr_state|county|city|town|post_?code|zip|zip_?code|zipcode|"
                     r"postal_?code|country|district|province|area|area_code|msa|cbsa|location|geo\w*|"
                     r"property_area|branch_region|urban|rural|lat|latitude|lon|lng|longitude)($|_)",
     "where the customer lives"),
    (Tag.BEHAVIOUR, r"(txn|transaction|(^|_)trans_(amt|ct)|total_trans|purchase|spend|recency|frequency|digital|login|"
                    r"activity|cash_?advance|oneoff|one_off|(^|_)payments($|_)|pay_amt|prc_full_payment|(^|_)trx|"
                    r"ct_chng|amt_chng|contacts_count|inactive|is_active|active_member|channel|(^|_)contact($|_))",
     "transactions, activity or channel use"),
    (Tag.BALANCE, r"(balance|(^|_)bal($|_)|(^|_)limit|limit_bal|credit_limit|^savings?($|_(?!accounts?_held))|"
                  r"(^|_)saving_accounts?|savings_status|checking_balance|(^|_)deposits?($|_)|"
                  r"utili[sz]ation|(^|_)util($|_)|revol_util|open_to_buy|revolving_bal|revol_bal|minimum_payments|"
                  r"bill_amt)", "a balance, limit or utilisation"),
    (Tag.INCOME, r"(income|(^|_)inc($|_)|annual_inc|salary|earnings|wage|debt_to_income|(^|_)dti($|_)|debt_ratio|"
                 r"installment_commitment|instalment_rate|installment_rate)", "income or debt measured against it"),
    (Tag.EXPOSURE, r"((^|_)ead($|_)|exposure|outstanding|loan_amount|credit_amount|loan_amnt|funded_amnt|"
                   r"amount_requested|requested_amount|principal)", "the amount at risk"),
    (Tag.COLLATERAL, r"(collateral|property_value|property_magnitude|security_value|(^|_)ltv($|_)|loan_to_value|"
                     r"vehicle_value|car_value|guarantor|other_parties|(^|_)security($|_))",
     "security pledged for the credit"),
    (Tag.HISTORY, r"(credit_score|(^|_)score($|_)|fico|bureau|delinq|(^|_)dlq|(^|_)dpd|days_past_due|past_due|"
                  r"late_pay|times_late|days_late|(^|_)late($|_)|bankrupt|inquir|enquir|(^|_)inq_|credit_history|"
                  r"checking_status|poutcome|(^|_)pdays($|_)|(^|_)previous($|_)|existing_credits|num_of_late|"
                  r"(^|_)pay_[0-9]+$|(^|_)pay_?status|derog|public_rec|(^|_)pub_rec|charge_off_history|"
                  r"open_credit_lines|other_payment_plans|(^|_)grade($|_)|sub_grade|credit_policy|"
                  r"(^|_)(orig|origination)_pd($|_)|(^|_)pd_(at_)?(orig|origination)($|_))",
     "credit or repayment history: the applicant cannot change it now"),
    (Tag.PRODUCT, r"((^|_)has_|product|(^|_)n_products($|_)|num_of_products|num_products|^loans?$|"
                  r"card_category|card_type|(^|_)contract($|_)|real_estate_loans|total_relationship_count)",
     "a product holding or product type"),
    (Tag.APPLICATION, r"(purpose|(^|_)term($|_)|loan_term|term_months|loan_purpose|amount_requested|loan_amount|"
                      r"credit_amount|loan_amnt|product_type|(^|_)int_rate($|_)|(^|_)interest_rate($|_)|"
                      r"installment($|_)|(^|_)duration($|_))", "a term of the credit requested"),
    (Tag.RELATIONSHIP, r"(tenure|months_on_book|customer_since|client_since|relationship|(^|_)n_products($|_)|"
                       r"num_of_products|num_products|total_relationship|residence_since|years_with_bank|years_at)",
     "the customer's relationship with the bank"),
    (Tag.POST_OUTCOME, r"(recover|collection|(^|_)charge_?off(?!_history)|chargeoff_amount|write_?off|settlement|"
                       r"last_pymnt|total_rec|total_pymnt|out_prncp|after_default|post_default|outcome_date|"
                       r"_after$|days_since_default|hardship|debt_settlement)",
     "known only after the outcome: it would give the answer away"),
)
_COMPILED = tuple((tag, re.compile(p), why) for tag, p, why in _NAME_RULES)

_SEX = {"m", "f", "male", "female", "man", "woman", "men", "women", "mr", "mrs", "ms", "miss", "non-binary",
        "nonbinary", "other", "unknown", "u", "x"}
_MARITAL = {"married", "single", "divorced", "widowed", "widow", "widower", "separated", "partnered", "cohabiting",
            "civil partnership", "unmarried", "never married", "domestic partner"}
_RACE = {"white", "black", "asian", "hispanic", "latino", "latina", "caucasian", "african american",
         "native american", "pacific islander", "american indian", "mixed race", "multiracial"}
_RELIGION = {"christian", "muslim", "jewish", "hindu", "buddhist", "sikh", "catholic", "protestant", "atheist",
             "orthodox"}
_STATES = set(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR "
    "PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR".split())
_COUNTRIES = {"france", "spain", "germany", "italy", "portugal", "poland", "netherlands", "belgium", "austria",
              "switzerland", "united kingdom", "uk", "ireland", "usa", "united states", "canada", "mexico", "brazil",
              "india", "china", "japan", "sweden", "norway", "denmark", "finland", "greece", "turkey", "romania",
              "hungary", "czech republic", "nigeria", "south africa", "australia"}
_CALL_CONTEXT = {"campaign", "pdays", "poutcome", "contact", "previous"}


def _value_tags(s: pd.Series) -> dict[Tag, str]:
    """Tags read from a text column's values."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return {}
    if s.head(5000).nunique() > 60:  # free text, codes or names: no value rule applies
        return {}
    text = distinct_text(s).text
    if text.empty or len(text) > 60:
        return {}
    values = {str(v).lower() for v in text}
    words = {w for v in values for w in re.split(r"[\s/,;()-]+", v) if w}
    found: dict[Tag, str] = {}
    shown = " / ".join(sorted(values)[:4])
    if values <= _SEX and len(values & {"m", "f", "male", "female", "man", "woman"}) >= 2:
        found[Tag.PROTECTED] = f"its values ({shown}) record sex"
    elif words & {"male", "female"}:
        found[Tag.PROTECTED] = f"its values ({shown}) mention sex"
    if len(values & _MARITAL) >= 2 or (words & {"married", "divorced", "widowed", "single"} and len(words) <= 30):
        found.setdefault(Tag.PROTECTED, f"its values ({shown}) record marital status")
    if len(values & _RACE) >= 2:
        found.setdefault(Tag.PROTECTED, f"its values ({shown}) record race or ethnicity")
    if len(values & _RELIGION) >= 2:
        found.setdefault(Tag.PROTECTED, f"its values ({shown}) record religion")
    upper = {str(v).upper() for v in text}
    if len(upper) >= 3 and upper <= _STATES:
        found[Tag.GEOGRAPHIC] = f"its values ({shown}) are US state codes"
    elif len(values) >= 2 and len(values & _COUNTRIES) >= max(2, int(0.8 * len(values))):
        found[Tag.GEOGRAPHIC] = f"its values ({shown}) are countries"
    return found


def tags_for(name: str, s: pd.Series, columns: set[str]) -> dict[Tag, str]:
    """Tags of one column with the reason for each; ``columns`` (snake_case) is the file it sits in."""
    key = snake(name)
    found: dict[Tag, str] = {}
    for tag, rx, why in _COMPILED:
        if rx.search(key) and tag not in found:
            found[tag] = f"the name '{name}': {why}"
    if key == "duration" and (columns & {"campaign", "pdays", "poutcome"} or len(columns & _CALL_CONTEXT) >= 2):
        # in a campaign file "duration" is the length of the last call, known only after the outcome
        found = {Tag.POST_OUTCOME: ("in a campaign file (it has " + ", ".join(sorted(columns & _CALL_CONTEXT))
                                    + ") 'duration' is the length of the call: known only after the outcome")}
    if key in ("housing", "housing_loan") and Tag.PRODUCT not in found:
        values = {str(v).lower() for v in distinct_text(s).text}
        if values <= {"yes", "no", "y", "n", "1", "0", "true", "false"}:
            found[Tag.PRODUCT] = f"the name '{name}' with yes/no values: a housing loan held"
    if key == "default" and Tag.HISTORY not in found:
        found[Tag.HISTORY] = f"'{name}' is not the target here, so it records past default (credit history)"
    if Tag.MACRO in found and (key.startswith("regional") or key.startswith("local") or "region" in key):
        found.setdefault(Tag.GEOGRAPHIC, f"the name '{name}': a regional condition")
    for tag, why in _value_tags(s).items():
        found.setdefault(tag, why)
    return found


def infer_tags(frame: pd.DataFrame, schema: Schema, extra: dict[str, dict[Tag, str]] | None = None,
               ) -> tuple[Schema, list[tuple[str, str, str]]]:
    """The schema with every column's tags inferred, and one (column, tags, evidence) per tagged column.

    Ids and the target get no tags. PII columns keep theirs (a postcode is geographic and a proxy),
    although PII never reaches a model; ``extra`` adds tags found elsewhere (by the PII checks).
    """
    columns = {snake(c) for c in schema.roles}
    tags: dict[str, frozenset[Tag]] = {}
    decisions: list[tuple[str, str, str]] = []
    for c, role in schema.roles.items():
        if role in (Role.ID, Role.TARGET) or c not in frame.columns:
            continue
        found = tags_for(c, frame[c], columns)
        for tag, why in (extra or {}).get(c, {}).items():
            found.setdefault(tag, why)
        if found:
            tags[c] = frozenset(found)
            decisions.append((c, ", ".join(sorted(t.value for t in found)),
                              "; ".join(f"{t.value}: {why}" for t, why in sorted(found.items()))))
    return replace(schema, tags=tags), decisions
