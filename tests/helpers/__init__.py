"""Functions and constants tests import; fixtures stay in the conftest files.

The shared cast (Ana, Carlos, their debts, the staff, the offer policy) is in
tests/conftest.py; what it is made of is in tests/factories.py.
"""
