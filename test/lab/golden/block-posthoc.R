# Golden values for test/lab/block-posthoc.test.ts: post-hoc comparisons of `carto lab` with a donor block in an
# UNBALANCED design (src/lab/block-posthoc.ts): the contrasts of the fitted lm's estimated marginal means, their SE
# from vcov(lm) and Bonferroni-adjusted p, by multcomp::glht.
# Data: the committed values tables of the virtual experiment (seed 1) with some samples removed (written beside
# this script as block-unbalanced-*.csv):
#   (1) PD-1: lm(value ~ donor + condition), glht(mcp(condition = "Dunnett")) and mcp(condition = "Tukey");
#   (2) counts: lm(value ~ donor + condition * factor(day)); per day the contrasts x(a, day) - x(b, day) of the
#       model matrix (donor held at one level; it cancels) against the control and all pairs, as
#       emmeans(fit, pairwise ~ condition | day) would give; glht(fit, linfct = L) per day.
# p adjusted by summary(glht, test = adjusted("bonferroni")) (exact, no Monte Carlo) and single-step (glht's
# default; mvtnorm's randomised quasi-Monte Carlo, here with 2e6 points: error ~1e-6, recorded beside each value),
# and the single-step simultaneous critical value of confint(glht) (qmvt at its default precision).
# Run: Rscript test/lab/golden/block-posthoc.R   (writes block-posthoc.json and the two CSVs beside it)
options(digits = 17)
suppressMessages({ library(multcomp); library(jsonlite) })
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "../../helpers/golden-meta.R"))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
set.seed(1)

unbalanced <- function(file, drop, out) {
  d <- read.csv(file.path(here, file), check.names = FALSE, stringsAsFactors = FALSE)
  d <- d[!(d$sample %in% drop), ]
  write.csv(d, file.path(here, out), row.names = FALSE, quote = FALSE)
  # the design's level order, the control first (R's locale collation would put CAR-TM first)
  d$condition <- factor(d$condition, levels = c("CAR+TM", "CAR+TM+MSC", "CAR+TM+MSC+1MT", "CAR-TM"))
  d$donor <- factor(d$donor)
  d
}

rowsOf <- function(g, stratum) {
  s <- summary(g, test = adjusted("none")); b <- summary(g, test = adjusted("bonferroni"))
  # single-step (glht's default), by randomised quasi-Monte Carlo: with 2e6 points its error is ~1e-6 (recorded)
  ss <- summary(g, test = adjusted("single-step",
    algorithm = GenzBretz(maxpts = 2e6, abseps = 1e-7, releps = 0)))
  calpha <- attr(confint(g)$confint, "calpha")  # simultaneous critical value (qmvt, default precision)
  nm <- strsplit(names(coef(g)), " - ", fixed = TRUE)
  lapply(seq_along(nm), function(i) list(stratum = stratum, a = nm[[i]][1], b = nm[[i]][2],
    estimate = unname(s$test$coefficients[i]), se = unname(s$test$sigma[i]), t = unname(s$test$tstat[i]),
    p = unname(s$test$pvalues[i]), pBonferroni = unname(b$test$pvalues[i]),
    pSingleStep = unname(ss$test$pvalues[i]), pSingleStepError = attr(ss$test$pvalues, "error"),
    calpha = calpha))
}

pd1 <- unbalanced("pd1_pct_of_cd8-values.csv",
  c("S-d7-c2-D1-r3", "S-d7-c2-D1-r2", "S-d7-c3-D2-r1", "S-d7-c1-D3-r3"), "block-unbalanced-pd1.csv")
fit1 <- lm(value ~ donor + condition, data = pd1)
case1 <- list(formula = "value ~ donor + condition", df = df.residual(fit1),
  control = do.call(rbind, lapply(rowsOf(glht(fit1, linfct = mcp(condition = "Dunnett")), ""), as.data.frame)),
  all = do.call(rbind, lapply(rowsOf(glht(fit1, linfct = mcp(condition = "Tukey")), ""), as.data.frame)))

counts <- unbalanced("cells_per_ml-values.csv",
  c("S-d1-c2-D1-r3", "S-d2-c4-D2-r1", "S-d2-c4-D2-r2", "S-d5-c1-D3-r1", "S-d7-c3-D1-r2", "S-d7-c3-D3-r3"),
  "block-unbalanced-counts.csv")
fit2 <- lm(value ~ donor + condition * factor(day), data = counts)
lv <- levels(counts$condition)
contrastsAt <- function(day, pairs) {
  nd <- function(cond) data.frame(donor = factor("D1", levels = levels(counts$donor)),
    condition = factor(cond, levels = lv), day = day)
  X <- function(cond) model.matrix(delete.response(terms(fit2)), nd(cond), xlev = fit2$xlevels)
  L <- do.call(rbind, lapply(pairs, function(p) X(p[1]) - X(p[2])))
  rownames(L) <- vapply(pairs, function(p) paste(p[1], "-", p[2]), "")
  L[, !is.na(coef(fit2)), drop = FALSE]
}
ctrl <- lapply(lv[-1], function(a) c(a, lv[1]))
allp <- list(); for (j in 1:(length(lv) - 1)) for (i in (j + 1):length(lv)) allp[[length(allp) + 1]] <- c(lv[i], lv[j])
fam <- function(pairs) do.call(rbind, lapply(sort(unique(counts$day)), function(day)
  do.call(rbind, lapply(rowsOf(glht(fit2, linfct = contrastsAt(day, pairs)), paste0("day=", day)), as.data.frame))))
case2 <- list(formula = "value ~ donor + condition * factor(day)", df = df.residual(fit2),
  control = fam(ctrl), all = fam(allp))

write_json(list(generatedWith = golden_meta(c("multcomp", "mvtnorm", "jsonlite")),
  pd1 = case1, counts = case2), file.path(here, "block-posthoc.json"), auto_unbox = TRUE, digits = NA,
  pretty = TRUE, dataframe = "rows")
