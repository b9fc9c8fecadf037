"""The SQL of the PostgreSQL import loader (pg_loader.py), statement by statement.

Each statement is set-based over the staged `import_row` table; `{..._columns}` and
`{..._values}` placeholders are filled by pg_loader._with_defaults.
"""

from __future__ import annotations

# Rows the loader rejected were deleted from import_row, as the ORM loader skips them.
CONSENTS = """
SELECT d.id, s.consent, s.line
  FROM import_row AS s
  JOIN debtors_debtor AS d
    ON d.document_number = s.document_number AND d.document_type = s.document_type
 WHERE s.consent IS NOT NULL
 ORDER BY s.line
"""
TEMP_TABLES = (
    "import_row",
    "import_repeated",
    "import_debtor",
    "import_debt_change",
    "import_debtor_changed",
)

CREATE_STAGING = """
CREATE TEMP TABLE import_row (
    line integer NOT NULL,
    account_ref text NOT NULL,
    document_type text NOT NULL,
    document_number text NOT NULL,
    full_name text NOT NULL,
    birth_date date,
    phone text,
    email text,
    language text,
    principal bigint NOT NULL,
    interest bigint NOT NULL,
    fees bigint NOT NULL,
    due_date date NOT NULL,
    consent text,
    state text
)
"""

# Appends the values of `additions` that `existing` lacks, in order, without repeats.
CREATE_MERGE = """
CREATE OR REPLACE FUNCTION pg_temp.import_merge(existing jsonb, additions text[])
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT existing || COALESCE(
        (SELECT jsonb_agg(value ORDER BY position)
           FROM (SELECT value, min(position) AS position
                   FROM unnest(additions) WITH ORDINALITY AS added(value, position)
                  WHERE NOT existing ? value
                  GROUP BY value) AS missing),
        '[]'::jsonb)
$$
"""

REJECT_OTHER_DEBTOR = """
DELETE FROM import_row AS s
 USING debtors_debt AS t JOIN debtors_debtor AS d ON d.id = t.debtor_id
 WHERE t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
   AND (d.document_type, d.document_number) <> (s.document_type, s.document_number)
RETURNING s.line
"""

# Per changed debt, the split of its adjustment (imputation.statement_change in SQL):
# increases land on their component, the decreases together are imputed interest, fees,
# then principal against what is outstanding after the increases.
DEBT_CHANGES = """
CREATE TEMP TABLE import_debt_change AS
SELECT id, line, up_p - (cut - cut_i - cut_f) AS principal, up_i - cut_i AS interest,
       up_f - cut_f AS fees
  FROM (SELECT *, LEAST(cut - cut_i, GREATEST(fees + up_f, 0)) AS cut_f
          FROM (SELECT *, LEAST(cut, GREATEST(interest + up_i, 0)) AS cut_i
                  FROM (SELECT t.id, s.line, t.interest_minor AS interest, t.fees_minor AS fees,
                               GREATEST(s.principal - t.principal_due_minor, 0) AS up_p,
                               GREATEST(s.interest - t.interest_due_minor, 0) AS up_i,
                               GREATEST(s.fees - t.fees_due_minor, 0) AS up_f,
                               - LEAST(s.principal - t.principal_due_minor, 0)
                               - LEAST(s.interest - t.interest_due_minor, 0)
                               - LEAST(s.fees - t.fees_due_minor, 0) AS cut
                          FROM import_row AS s
                          JOIN debtors_debt AS t
                            ON t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
                         WHERE (t.principal_due_minor, t.interest_due_minor, t.fees_due_minor,
                                t.original_due_date, t.currency)
                               IS DISTINCT FROM (s.principal, s.interest, s.fees, s.due_date,
                                                 %(currency)s)) AS deltas) AS cut_interest
       ) AS cut_fees
"""

# Last row wins for the name; last given value for birth date, language and state. Most
# debtors have one row, and aggregating with ORDER BY sorts the whole table, so only
# the debtors with several rows are aggregated. The repeated keys are a table of their
# own, analysed: as a CTE the planner guessed a third of the rows repeated and sorted
# the whole file to merge-join them, a second of a million-row import. When there are
# none (the usual file), the single rows are copied without the anti-join at all.
REPEATED = """
CREATE TEMP TABLE import_repeated AS
SELECT document_type, document_number
  FROM import_row
 GROUP BY document_type, document_number
HAVING count(*) > 1
"""

DEBTORS = """
CREATE TEMP TABLE import_debtor AS
SELECT s.document_type, s.document_number, s.full_name, s.birth_date, s.language, s.state,
       CASE WHEN s.phone IS NOT NULL THEN ARRAY[s.phone] END AS phones,
       CASE WHEN s.email IS NOT NULL THEN ARRAY[s.email] END AS emails
  FROM import_row AS s{only_single}
"""

NOT_REPEATED = """
 WHERE NOT EXISTS (SELECT FROM import_repeated AS r
                    WHERE r.document_type = s.document_type
                      AND r.document_number = s.document_number)"""

REPEATED_DEBTORS = """
INSERT INTO import_debtor
SELECT s.document_type, s.document_number,
       (array_agg(s.full_name ORDER BY s.line DESC))[1],
       (array_agg(s.birth_date ORDER BY s.line DESC) FILTER (WHERE s.birth_date IS NOT NULL))[1],
       (array_agg(s.language ORDER BY s.line DESC) FILTER (WHERE s.language IS NOT NULL))[1],
       (array_agg(s.state ORDER BY s.line DESC) FILTER (WHERE s.state IS NOT NULL))[1],
       array_agg(s.phone ORDER BY s.line) FILTER (WHERE s.phone IS NOT NULL),
       array_agg(s.email ORDER BY s.line) FILTER (WHERE s.email IS NOT NULL)
  FROM import_row AS s
  JOIN import_repeated AS r
    ON r.document_type = s.document_type AND r.document_number = s.document_number
 GROUP BY s.document_type, s.document_number
"""

UPDATE_DEBTORS = """
WITH merged AS (
    SELECT d.id, s.full_name,
           COALESCE(s.birth_date, d.birth_date) AS birth_date,
           COALESCE(s.language, d.language) AS language,
           COALESCE(s.state, d.state) AS state,
           pg_temp.import_merge(d.phones, s.phones) AS phones,
           pg_temp.import_merge(d.emails, s.emails) AS emails
      FROM import_debtor AS s
      JOIN debtors_debtor AS d
        ON d.document_type = s.document_type AND d.document_number = s.document_number
), changed AS (
    UPDATE debtors_debtor AS d
       SET full_name = m.full_name, birth_date = m.birth_date, language = m.language,
           state = m.state, phones = m.phones, emails = m.emails, updated_at = %(now)s
      FROM merged AS m
     WHERE d.id = m.id
       AND (d.full_name, d.birth_date, d.language, d.state, d.phones, d.emails)
           IS DISTINCT FROM (m.full_name, m.birth_date, m.language, m.state, m.phones, m.emails)
    RETURNING d.id
)
INSERT INTO import_debtor_changed SELECT id FROM changed
"""

INSERT_DEBTORS = """
INSERT INTO debtors_debtor (document_type, document_number, full_name, birth_date,
                            phones, emails, language, state, created_at,
                            updated_at{debtor_columns})
SELECT s.document_type, s.document_number, s.full_name, s.birth_date,
       CASE WHEN cardinality(s.phones) > 1 THEN pg_temp.import_merge('[]', s.phones)
            ELSE COALESCE(to_jsonb(s.phones), '[]') END,
       CASE WHEN cardinality(s.emails) > 1 THEN pg_temp.import_merge('[]', s.emails)
            ELSE COALESCE(to_jsonb(s.emails), '[]') END,
       COALESCE(s.language, 'es'), COALESCE(s.state, ''), %(now)s, %(now)s{debtor_values}
  FROM import_debtor AS s
 WHERE NOT EXISTS (SELECT FROM debtors_debtor AS d
                    WHERE d.document_type = s.document_type
                      AND d.document_number = s.document_number)
"""

COUNT_UPDATED = """
SELECT count(*)
  FROM import_row AS s
  JOIN debtors_debt AS t ON t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
 WHERE t.id IN (SELECT id FROM import_debt_change)
    OR t.debtor_id IN (SELECT id FROM import_debtor_changed)
"""

UPDATE_DEBTS = """
UPDATE debtors_debt AS t
   SET principal_due_minor = s.principal, interest_due_minor = s.interest,
       fees_due_minor = s.fees, original_due_date = s.due_date, currency = %(currency)s,
       days_past_due = %(today)s::date - s.due_date,
       balance_minor = t.balance_minor + c.principal + c.interest + c.fees,
       principal_minor = t.principal_minor + c.principal,
       interest_minor = t.interest_minor + c.interest, fees_minor = t.fees_minor + c.fees,
       updated_at = %(now)s
  FROM import_debt_change AS c JOIN import_row AS s ON s.line = c.line
 WHERE t.id = c.id
"""

ADJUST = """
INSERT INTO debtors_ledgerentry (debt_id, kind, amount_minor, principal_minor, interest_minor,
                                 fees_minor, currency, effective_date, description, created_at,
                                 created_by_id{entry_columns})
SELECT id, 'adjustment', principal + interest + fees, principal, interest, fees, %(currency)s,
       %(today)s, %(adjustment)s, %(now)s, %(actor)s{entry_values}
  FROM import_debt_change
 WHERE (principal, interest, fees) <> (0, 0, 0)
 ORDER BY line
"""

INSERT_DEBTS = """
WITH created AS (
    INSERT INTO debtors_debt (portfolio_id, debtor_id, account_ref, currency,
                              principal_due_minor, interest_due_minor, fees_due_minor,
                              balance_minor, principal_minor, interest_minor, fees_minor,
                              original_due_date, days_past_due, status,
                              created_at, updated_at{debt_columns})
    SELECT %(portfolio)s, d.id, s.account_ref, %(currency)s, s.principal, s.interest, s.fees,
           s.principal + s.interest + s.fees, s.principal, s.interest, s.fees,
           s.due_date, %(today)s::date - s.due_date, 'active', %(now)s, %(now)s{debt_values}
      FROM import_row AS s
      JOIN debtors_debtor AS d
        ON d.document_type = s.document_type AND d.document_number = s.document_number
     WHERE NOT EXISTS (SELECT FROM debtors_debt AS t
                        WHERE t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref)
     ORDER BY s.line
    RETURNING id, balance_minor, principal_minor, interest_minor, fees_minor
), charged AS (
    INSERT INTO debtors_ledgerentry (debt_id, kind, amount_minor, principal_minor,
                                     interest_minor, fees_minor, currency, effective_date,
                                     description, created_at, created_by_id{entry_columns})
    SELECT id, 'charge', balance_minor, principal_minor, interest_minor, fees_minor,
           %(currency)s, %(today)s, %(charge)s, %(now)s, %(actor)s{entry_values}
      FROM created
     WHERE balance_minor > 0
)
SELECT count(*) FROM created
"""

LOCK_EXISTING_DEBTORS = """
SELECT FROM debtors_debtor AS d
  JOIN import_debtor AS s
    ON d.document_type = s.document_type AND d.document_number = s.document_number
   FOR KEY SHARE OF d
"""

# Debts this import created whose debtor is missing. Ledger entries need no check: they
# are inserted from the RETURNING of the debts' insert, or for debts the same
# transaction has just updated (and so locked).
ORPHANS = """
SELECT count(*) FROM debtors_debt AS t
 WHERE t.portfolio_id = %(portfolio)s AND t.created_at = %(now)s
   AND NOT EXISTS (SELECT FROM debtors_debtor AS d WHERE d.id = t.debtor_id)
"""
