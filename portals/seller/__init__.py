"""The seller center (卖家中心): the shop's after-sales queue and every seller action.

Only members of the shop that sold the item reach a request (another shop's id is a 404). A
signed-in user without a shop gets a page that says so. Each action is one service call; a
refused one (stale page, double click) becomes a message and changes nothing.
"""
