/* utility.h -- machine-learning utility of synthetic data: "train on synthetic, test on real".
 *
 * The same model is trained once on the real training data and once on the synthetic data, and
 * both are scored on a real holdout that neither saw.  Features: synth_encoder over every schema
 * column except the target (id/text skipped), min-max scaled on the real training data, plus an
 * intercept.  Target categorical/boolean -> classification by L2-regularized logistic regression
 * (Newton/IRLS); target integer/float/datetime -> regression by ridge least squares.
 *
 * Classification, two classes present in the real training data: the less frequent one there is
 * the positive class (ties: the later one in schema order); metrics are holdout accuracy
 * (threshold 0.5), F1 of the positive class and ROC AUC (Mann-Whitney, ties as average ranks).
 * More than two classes (at most SYNTH_UTILITY_MAX_CLASSES): one-vs-rest, one binary model per
 * class of the real training data, prediction = the class with the highest probability;
 * "accuracy" is plain accuracy, "f1" and "roc_auc" are macro averages over the classes (a class
 * whose F1 or AUC is undefined on the holdout -- no positives and none predicted, or only one
 * label present -- is left out of the average).  Values of the target not in the schema form one
 * class "(other)".  Regression: R^2 = 1 - SSres/SStot on the holdout.
 * Rows whose target is null are dropped from all three tables (reported in "notes").
 * Regularization: penalty lambda/2 * |w|^2 on the weights, never on the intercept, with
 * lambda = SYNTH_UTILITY_LOGREG_LAMBDA * n (logistic) and SYNTH_UTILITY_RIDGE_LAMBDA * n (linear;
 * small, it mostly resolves the collinearity of one-hot groups with the intercept).
 * Everything is deterministic: the same inputs give bit-identical results.
 *
 * Ownership: the caller owns the returned JSON (json_decref) and every input.  Thread-safety: no
 * shared state (BLAS may use its own threads). */
#ifndef SYNTH_UTILITY_H
#define SYNTH_UTILITY_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "schema.h"
#include "vtable.h"

#define SYNTH_UTILITY_MAX_CLASSES 32
#define SYNTH_UTILITY_LOGREG_LAMBDA 1e-4
#define SYNTH_UTILITY_RIDGE_LAMBDA 1e-6

/* *out is the "utility" object of validation/REPORT.md:
 *   {"target", "task": "classification"|"regression", "model", "positive_class" (binary only),
 *    "classes" (multiclass only: their names), "averaging" (multiclass only),
 *    "train_real": {"accuracy", "f1", "roc_auc"} or {"r2"}, "train_synthetic": {...},
 *    "ratio": {...} (synthetic / real; null where real is 0 -- for r2 where real <= 0 --
 *    or either is undefined), "features": encoded width, "rows": {"train_real",
 *    "train_synthetic", "holdout"} (rows used), "notes": [strings]}
 * An undefined metric is null.  The three tables must have schema->ncols columns.
 * Errors: SYNTH_USAGE for an unknown target, an id/text target, more than
 * SYNTH_UTILITY_MAX_CLASSES classes or a column count mismatch; SYNTH_BAD_INPUT for a table with
 * no rows (after dropping null targets) or a training set with fewer than 2 classes; SYNTH_NOMEM.
 * On error *out is NULL. */
int synth_utility_compute(const synth_schema *schema, const synth_vtable *train_real, const synth_vtable *synthetic,
                          const synth_vtable *holdout, const char *target, json_t **out, synth_err *err);

/* ---- building blocks (used above; public for tests and for other reports) ---------------------- */

/* Models below read x as n rows of d floats (row-major, no intercept column) and write
 * coef[0..d]: coef[0] the intercept, coef[1 + j] the weight of feature j.  Penalty
 * lambda/2 * sum_j coef[1 + j]^2.  SYNTH_USAGE when n == 0, SYNTH_NOMEM, SYNTH_INTERNAL if the
 * linear system cannot be solved. */

/* Logistic regression on labels y (0/1) by Newton's method with a backtracking line search. */
int synth_logreg_fit(const float *x, size_t n, size_t d, const unsigned char *y, double lambda, double *coef,
                     synth_err *err);

/* Ridge least squares via the normal equations and a Cholesky solve. */
int synth_ridge_fit(const float *x, size_t n, size_t d, const double *y, double lambda, double *coef,
                    synth_err *err);

/* coef[0] + sum_j coef[1 + j] * xrow[j]. */
double synth_linear_predict(const double *coef, const float *xrow, size_t d);

/* 1 / (1 + exp(-z)), without overflow. */
double synth_sigmoid(double z);

/* Accuracy of pred against labels (both 0/1) and F1 of class 1 (NaN when 2TP + FP + FN = 0).
 * NaN accuracy when n == 0. */
void synth_binary_scores(const unsigned char *pred, const unsigned char *labels, size_t n, double *accuracy,
                         double *f1);

/* ROC AUC of scores for labels (0/1): the Mann-Whitney U / (positives * negatives), tied scores
 * sharing their average rank.  *auc is NaN when either class is absent.  SYNTH_NOMEM. */
int synth_roc_auc(const double *scores, const unsigned char *labels, size_t n, double *auc, synth_err *err);

#endif
