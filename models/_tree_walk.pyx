# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The tree ensembles' hot loop in C: each row's leaf in each tree.

Why: the numpy walk in ``models.forest`` moves every (row, tree) pair one level
per step through half a dozen gathers, about 11 us per event and forest even at
batches of hundreds, the largest single cost of the worker's own code.  The
same steps in C take a few microseconds.  ``models.forest`` uses this when the
extension is built (``make setup`` builds it) and the numpy walk otherwise;
both return the same leaves, and the path lengths are summed by the same numpy
code, so scores are bit-identical either way (``tests/models/test_forest.py``).

A block of (row, tree) pairs walks in lock step, level by level, rather than
one row to its leaf and then the next: each row's path is a chain of dependent
loads, and interleaving a block's chains lets the CPU overlap their cache
misses.  A leaf's children are itself, so a path that has
arrived stays put for the remaining levels, with no branch on it.
"""

DEF BLOCK = 64


def leaves(const double[:, ::1] X, const int[::1] feature, const double[::1] threshold,
           const int[::1] children, const unsigned char[::1] nan_left,
           const int[::1] roots, int n_levels, long long[:, ::1] out):
    """Fill ``out[i, t]`` with row i's global leaf id in tree t.

    The node arrays are flattened (tree * n_nodes + node), as
    ``CompiledForest`` and ``CompiledBoosting`` keep them; ``children`` holds
    node n's global left and right child ids at 2n and 2n + 1 (one load, no
    branch), and a leaf's children are itself.  A row goes left where ``x <= threshold``, NaN where
    ``nan_left``: the numpy walks' rule, which is scikit-learn's.  The forest
    passes its float32-cast rows as doubles, as its numpy walk compares them.
    """
    cdef Py_ssize_t n_rows = X.shape[0], n_trees = roots.shape[0]
    # A block is up to BLOCK (row, tree) chains: all rows of a small batch with
    # several trees, or BLOCK rows of a large one with one tree.
    cdef Py_ssize_t rows_per = min(n_rows, BLOCK)
    cdef Py_ssize_t trees_per = max(1, BLOCK // max(rows_per, 1))
    cdef Py_ssize_t r0, r1, t0, t1, i, t, c, n_chains
    cdef int level
    cdef int node
    cdef int nodes[BLOCK]
    cdef Py_ssize_t row_of[BLOCK]
    cdef double x
    cdef bint go_left
    with nogil:
        r0 = 0
        while r0 < n_rows:
            r1 = min(r0 + rows_per, n_rows)
            t0 = 0
            while t0 < n_trees:
                t1 = min(t0 + trees_per, n_trees)
                n_chains = 0
                for t in range(t0, t1):
                    for i in range(r0, r1):
                        nodes[n_chains] = roots[t]
                        row_of[n_chains] = i
                        n_chains += 1
                for level in range(n_levels):
                    for c in range(n_chains):
                        node = nodes[c]
                        x = X[row_of[c], feature[node]]
                        if x != x:
                            go_left = nan_left[node]
                        else:
                            go_left = x <= threshold[node]
                        nodes[c] = children[2 * node + (not go_left)]
                c = 0
                for t in range(t0, t1):
                    for i in range(r0, r1):
                        out[i, t] = nodes[c]
                        c += 1
                t0 = t1
            r0 = r1
