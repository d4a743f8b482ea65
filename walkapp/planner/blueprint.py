"""The planner blueprint; each module of the package registers its views on it."""

from flask import Blueprint

bp = Blueprint("planner", __name__, url_prefix="/planner")
