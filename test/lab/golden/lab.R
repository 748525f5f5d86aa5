# Golden values for test/lab/lab-statistics.test.ts: the lab statistics of `carto lab` (src/lab/statistics.ts)
# against R on (1) the values tables of the virtual experiment `carto simulate-lab --seed 1` (committed beside
# this script: donor block `value ~ donor + condition`, and the counts' `value ~ donor + condition * factor(day)`
# with comparisons against the control within each day) and (2) ToothGrowth (`len ~ dose * supp`, dose as a
# factor; comparisons of dose within each supp).
# Per case: anova(lm()) F and p; Dunnett against the control as an independent double integral (nested
# integrate(), the same probability multcomp::glht estimates by quasi-Monte Carlo), Bonferroni against the control
# and all pairs, Tukey all pairs (ptukey) — all with the full model's residual MSE and df; TukeyHSD(aov()),
# pairwise.t.test(pool.sd = TRUE) and glht(mcp(Dunnett)) where they estimate the same (one-way ToothGrowth dose;
# TukeyHSD on the donor block). Donor as a random effect: lmerTest anova() (type III, Satterthwaite) and
# ls_means pairs. Run: Rscript test/lab/golden/lab.R   (writes lab.json and toothgrowth.csv beside it)
options(digits = 17)
suppressMessages({ library(multcomp); library(lmerTest) })
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "../../helpers/golden-meta.R"))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

# Dunnett two-sided P(max|T_i| >= c): E_S[P(max|Z_i| >= c S)], Z_i = lam_i Z0 + sqrt(1 - lam_i^2) E_i
# (as test/stats/posthoc/posthoc.R)
dunnettP <- function(cval, lam, df) {
  r <- sqrt(1 - lam^2)
  exceed <- function(x) {
    g <- function(z) {
      q <- vapply(seq_along(lam), function(i)
        pnorm((x - lam[i] * z) / r[i], lower.tail = FALSE) + pnorm((x + lam[i] * z) / r[i], lower.tail = FALSE),
        numeric(length(z)))
      q <- matrix(q, nrow = length(z))
      -expm1(rowSums(log1p(-pmin(q, 1)))) * dnorm(z)
    }
    integrate(g, -Inf, Inf, rel.tol = 1e-12, abs.tol = 0, subdivisions = 2000L)$value
  }
  dS <- function(s) dchisq(df * s^2, df) * 2 * df * s
  h <- function(s) vapply(s, function(ss) dS(ss) * exceed(cval * ss), 0)
  integrate(h, 0, Inf, rel.tol = 1e-11, abs.tol = 0, subdivisions = 2000L)$value
}

anovaRows <- function(fit) {
  a <- anova(fit); rn <- trimws(rownames(a)); keep <- rn != "Residuals"
  list(term = rn[keep], df = a$Df[keep], F = a$`F value`[keep], p = a$`Pr(>F)`[keep])
}

# comparisons of `g`'s levels within each stratum with the model's MSE and df
posthoc <- function(fit, y, g, lv, control, stratum) {
  mse <- sum(residuals(fit)^2) / df.residual(fit); dfr <- df.residual(fit)
  out <- list(dunnett = list(), bonferroni_control = list(), bonferroni_all = list(), tukey = list())
  for (st in unique(stratum)) {
    sel <- stratum == st; mu <- tapply(y[sel], g[sel], mean)[lv]; n <- table(g[sel])[lv]
    cmp <- function(i, j) { d <- mu[[i]] - mu[[j]]; se <- sqrt(mse * (1 / n[[i]] + 1 / n[[j]])); c(d, d / se) }
    others <- setdiff(lv, control); lam <- sqrt(n[others] / (n[others] + n[[control]]))
    for (a in others) {
      x <- cmp(a, control); p <- 2 * pt(-abs(x[2]), dfr)
      out$dunnett[[length(out$dunnett) + 1]] <- list(stratum = st, a = a, b = control, diff = x[1],
        pAdjusted = dunnettP(abs(x[2]), as.numeric(lam), dfr))
      out$bonferroni_control[[length(out$bonferroni_control) + 1]] <- list(stratum = st, a = a, b = control,
        diff = x[1], pAdjusted = min(1, length(others) * p))
    }
    m <- choose(length(lv), 2)
    for (j in 1:(length(lv) - 1)) for (i in (j + 1):length(lv)) {
      x <- cmp(lv[i], lv[j]); p <- 2 * pt(-abs(x[2]), dfr)
      out$bonferroni_all[[length(out$bonferroni_all) + 1]] <- list(stratum = st, a = lv[i], b = lv[j], diff = x[1],
        pAdjusted = min(1, m * p))
      out$tukey[[length(out$tukey) + 1]] <- list(stratum = st, a = lv[i], b = lv[j], diff = x[1],
        pAdjusted = ptukey(sqrt(2) * abs(x[2]), length(lv), dfr, lower.tail = FALSE))
    }
  }
  out
}

conds <- c("CAR+TM", "CAR+TM+MSC", "CAR+TM+MSC+1MT", "CAR-TM")
res <- list()
for (id in c("lysis_molm_13_et10_pct", "ifng_pg_ml", "ido1_rel_gapdh", "pd1_pct_of_cd8")) {
  d <- read.csv(file.path(here, paste0(id, "-values.csv")), stringsAsFactors = FALSE)
  d$condition <- factor(d$condition, levels = conds); d$donor <- factor(d$donor)
  fit <- lm(value ~ donor + condition, d)
  tk <- TukeyHSD(aov(value ~ donor + condition, d), which = "condition")$condition
  mixed <- lmer(value ~ condition + (1 | donor), d, REML = TRUE)
  am <- anova(mixed, type = 3, ddf = "Satterthwaite")
  lp <- ls_means(mixed, pairwise = TRUE)
  res[[id]] <- list(formula = "value ~ donor + condition", anova = anovaRows(fit),
    posthoc = posthoc(fit, d$value, as.character(d$condition), conds, "CAR+TM", rep("", nrow(d))),
    tukeyHSD = list(pair = rownames(tk), diff = tk[, "diff"], pAdjusted = tk[, "p adj"]),
    mixed = list(formula = "value ~ condition + (1 | donor)", term = rownames(am), numDf = am$NumDF,
                 denDf = am$DenDF, F = am$`F value`, p = am$`Pr(>F)`,
                 pairs = list(name = rownames(lp), estimate = lp$Estimate, se = lp$`Std. Error`,
                              df = lp$df, p = lp$`Pr(>|t|)`)))
}
d <- read.csv(file.path(here, "cells_per_ml-values.csv"), stringsAsFactors = FALSE)
d$condition <- factor(d$condition, levels = conds); d$donor <- factor(d$donor)
fit <- lm(value ~ donor + condition * factor(day), d)
res$cells_per_ml <- list(formula = "value ~ donor + condition * factor(day)", anova = anovaRows(fit),
  posthoc = posthoc(fit, d$value, as.character(d$condition), conds, "CAR+TM", paste0("day=", d$day)))

tg <- ToothGrowth
write.csv(tg, file.path(here, "toothgrowth.csv"), row.names = FALSE)
tg$dose <- factor(tg$dose, levels = c(0.5, 1, 2), labels = c("0.5", "1", "2")); tg$supp <- factor(tg$supp)
fit <- lm(len ~ dose * supp, tg)
res$toothgrowth_twoway <- list(formula = "len ~ dose * supp", anova = anovaRows(fit),
  posthoc = posthoc(fit, tg$len, as.character(tg$dose), c("0.5", "1", "2"), "0.5", paste0("supp=", tg$supp)))
one <- aov(len ~ dose, tg)
tk <- TukeyHSD(one)$dose
pw <- pairwise.t.test(tg$len, tg$dose, p.adjust.method = "bonferroni", pool.sd = TRUE)$p.value
gd <- summary(glht(one, linfct = mcp(dose = "Dunnett")))
res$toothgrowth_oneway <- list(formula = "len ~ dose", anova = anovaRows(lm(len ~ dose, tg)),
  posthoc = posthoc(lm(len ~ dose, tg), tg$len, as.character(tg$dose), c("0.5", "1", "2"), "0.5", rep("", nrow(tg))),
  tukeyHSD = list(pair = rownames(tk), diff = tk[, "diff"], pAdjusted = tk[, "p adj"]),
  pairwiseT = list(a = c("1", "2", "2"), b = c("0.5", "0.5", "1"), pAdjusted = c(pw["1", "0.5"], pw["2", "0.5"], pw["2", "1"])),
  glhtDunnett = list(pAdjusted = as.numeric(gd$test$pvalues)))
res$generatedWith <- golden_meta(c("multcomp", "lmerTest", "lme4", "jsonlite"))
jsonlite::write_json(res, file.path(here, "lab.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
