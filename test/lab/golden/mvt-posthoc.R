# Golden values for test/lab/mvt-posthoc.test.ts: single-step post-hoc families of more than 4 levels (the Genz–Bretz
# lattice of src/stats/mvt.ts) and the random donor's post-hoc comparisons within cells (src/lab/block-posthoc.ts).
# (1) six: a 6-level donor-block experiment (simulated here, seed 16; 5 samples removed: unbalanced; written beside
#     this script as block-six-levels.csv): lm(value ~ donor + condition), glht(mcp(condition = "Dunnett")) and
#     mcp(condition = "Tukey"), Bonferroni and single-step p (mvtnorm GenzBretz, maxpts 2e6, abseps 1e-6: its
#     error recorded beside each value) and confint's simultaneous critical value (qmvt, same algorithm).
# (2) random donor: lmerTest::lmer(value ~ condition (* factor(day)) + (1 | donor)) (REML) on cells_per_ml-values.csv
#     (balanced), block-unbalanced-counts.csv and block-six-levels.csv; per day (stratum) the contrasts
#     x(a, day) − x(b, day) of the fixed-effects model matrix built by hand (emmeans is not installed), each
#     contrast's estimate, SE, Satterthwaite df, t and p by lmerTest::contest(fit, L, joint = FALSE); Bonferroni
#     min(1, m p); single-step: glht(fit, linfct = L, df = ν) when all contrasts share one (integer) df (balanced),
#     else per contrast 1 − pmvt(−|t|, |t|, corr = cov2cor(L V Lᵀ), df = floor(ν_i)) and df = ceiling(ν_i)
#     (mvtnorm takes integer df only; the non-integer ν_i lies between).
# Run: Rscript test/lab/golden/mvt-posthoc.R   (writes mvt-posthoc.json and block-six-levels.csv beside it)
options(digits = 17)
suppressMessages({ library(multcomp); library(lmerTest); library(jsonlite) })
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "../../helpers/golden-meta.R"))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
GB <- GenzBretz(maxpts = 2e6, abseps = 1e-6, releps = 0)
lv4 <- c("CAR+TM", "CAR+TM+MSC", "CAR+TM+MSC+1MT", "CAR-TM")
lv6 <- c("Ctrl", "T1", "T2", "T3", "T4", "T5")

# (1) six levels, donor block
set.seed(16)
six <- expand.grid(replicate = 1:3, donor = paste0("D", 1:3), condition = lv6, stringsAsFactors = FALSE)
six$value <- round(20 + c(0, 0.4, 1.6, 0.8, 2.5, 0)[match(six$condition, lv6)] +
  c(-1.2, 0.3, 1.1)[match(six$donor, paste0("D", 1:3))] + rnorm(nrow(six), 0, 0.9), 4)
six$sample <- sprintf("S-%s-%s-r%d", six$condition, six$donor, six$replicate)
six$day <- 7
six <- six[-c(2, 11, 20, 35, 47), c("sample", "condition", "donor", "replicate", "day", "value")]
write.csv(six, file.path(here, "block-six-levels.csv"), row.names = FALSE, quote = FALSE)
six$condition <- factor(six$condition, levels = lv6); six$donor <- factor(six$donor)

set.seed(1)
glhtRows <- function(g, stratum) {
  s <- summary(g, test = adjusted("none")); b <- summary(g, test = adjusted("bonferroni"))
  ss <- summary(g, test = adjusted("single-step", algorithm = GB))
  calpha <- attr(confint(g, calpha = adjusted_calpha(algorithm = GB))$confint, "calpha")
  nm <- strsplit(names(coef(g)), " - ", fixed = TRUE)
  do.call(rbind, lapply(seq_along(nm), function(i) data.frame(stratum = stratum, a = nm[[i]][1], b = nm[[i]][2],
    estimate = unname(s$test$coefficients[i]), se = unname(s$test$sigma[i]), t = unname(s$test$tstat[i]),
    p = unname(s$test$pvalues[i]), pBonferroni = unname(b$test$pvalues[i]),
    pSingleStep = unname(ss$test$pvalues[i]), pSingleStepError = attr(ss$test$pvalues, "error"),
    calpha = calpha)))
}
fit6 <- lm(value ~ donor + condition, data = six)
case1 <- list(formula = "value ~ donor + condition", df = df.residual(fit6),
  control = glhtRows(glht(fit6, linfct = mcp(condition = "Dunnett")), ""),
  all = glhtRows(glht(fit6, linfct = mcp(condition = "Tukey")), ""))

# (2) random donor
pairsOf <- function(lv, control) {
  if (control) return(lapply(lv[-1], function(a) c(a, lv[1])))
  out <- list(); for (j in 1:(length(lv) - 1)) for (i in (j + 1):length(lv)) out[[length(out) + 1]] <- c(lv[i], lv[j])
  out
}
mixedFamily <- function(m, fx, lv, day, pairs) {
  nd <- function(cond) data.frame(condition = factor(cond, levels = lv), day = if (is.null(day)) 7 else day)
  X <- function(cond) model.matrix(delete.response(terms(fx)), nd(cond), xlev = fx$xlevels)
  L <- do.call(rbind, lapply(pairs, function(p) X(p[1]) - X(p[2])))
  stopifnot(identical(colnames(L), names(fixef(m))))
  ct <- contest(m, L, joint = FALSE)
  est <- ct[["Estimate"]]; se <- ct[["Std. Error"]]; df <- ct[["df"]]; t <- ct[["t value"]]; p <- ct[["Pr(>|t|)"]]
  R <- cov2cor(L %*% as.matrix(vcov(m)) %*% t(L))
  stratum <- if (is.null(day)) "" else paste0("day=", day)
  rows <- data.frame(stratum = stratum, a = vapply(pairs, `[`, "", 1), b = vapply(pairs, `[`, "", 2),
    estimate = est, se = se, df = df, t = t, p = p, pBonferroni = pmin(1, length(pairs) * p))
  if (max(abs(df - round(df[1]))) < 1e-6) {
    g <- glht(m, linfct = L, df = round(df[1]))
    ss <- summary(g, test = adjusted("single-step", algorithm = GB))
    rows$pSingleStep <- unname(ss$test$pvalues); rows$pSingleStepError <- attr(ss$test$pvalues, "error")
  } else {
    pm <- function(i, nu) { r <- pmvt(lower = rep(-abs(t[i]), nrow(L)), upper = rep(abs(t[i]), nrow(L)),
      corr = R, df = nu, algorithm = GB); c(1 - r[1], attr(r, "error")) }
    lo <- sapply(seq_along(t), function(i) pm(i, floor(df[i]))); hi <- sapply(seq_along(t), function(i) pm(i, ceiling(df[i])))
    rows$pFloorDf <- lo[1, ]; rows$pCeilingDf <- hi[1, ]; rows$pSingleStepError <- pmax(lo[2, ], hi[2, ])
  }
  rows
}
mixedCase <- function(d, lv, families) {
  d$condition <- factor(d$condition, levels = lv); d$donor <- factor(d$donor)
  days <- sort(unique(d$day))
  formula <- if (length(days) > 1) value ~ condition * factor(day) + (1 | donor) else value ~ condition + (1 | donor)
  m <- lmer(formula, data = d, REML = TRUE)
  fx <- lm(nobars(formula), data = d)
  strata <- if (length(days) > 1) days else list(NULL)
  fam <- function(control) do.call(rbind, lapply(strata, function(day) mixedFamily(m, fx, lv, day, pairsOf(lv, control))))
  out <- list(formula = deparse(formula), theta = unname(getME(m, "theta")), sigma = sigma(m))
  if ("control" %in% families) out$control <- fam(TRUE)
  if ("all" %in% families) out$all <- fam(FALSE)
  out
}
readValues <- function(f) read.csv(file.path(here, f), check.names = FALSE, stringsAsFactors = FALSE)
case2 <- list(
  balanced = mixedCase(readValues("cells_per_ml-values.csv"), lv4, c("control", "all")),
  unbalanced = mixedCase(readValues("block-unbalanced-counts.csv"), lv4, c("control", "all")),
  six = mixedCase(readValues("block-six-levels.csv"), lv6, c("control")))

write_json(list(generatedWith = golden_meta(c("multcomp", "mvtnorm", "lme4", "lmerTest", "jsonlite")),
  six = case1, random = case2), file.path(here, "mvt-posthoc.json"), auto_unbox = TRUE, digits = NA,
  pretty = TRUE, dataframe = "rows")
