"""The casework kernel shared by disputes (纠纷) and petitions (信访).

Each kind of case brings its own states, actions, roles and clocks as data; the
kernel owns what is the same for both: the transition checker over a
declarative table (`transitions`), the table of which deadlines an action opens,
finishes or cancels (`effects`), the abstract append-only event, deadline and
callback-attempt models (`models`), the bulk deadline sweeper (`sweep`), the
callback verdict rules (`callbacks`) and the masked-person presenter (`people`).

core imports no app: everything here is parameterised by the caller's models
and tables.
"""
