"""The pure pagoPA domain: codes, money, debt positions, errors. Standard library only."""
