def total(items):
    """Return the total price of the items in the cart."""
    return sum(item["price"] * item["qty"] for item in items)
