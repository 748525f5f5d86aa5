# Golden values for test/stats/posthoc.test.ts and test/stats/studentized-range.test.ts.
# Run: Rscript test/stats/posthoc/posthoc.R   (writes posthoc.json, studentized-range.json and the CSVs beside it)
#
# Cases: PlantGrowth (one-way, balanced), warpbreaks (breaks ~ wool + tension, post-hoc on tension), a simulated
# MSC co-culture experiment (expansion ~ donor + condition: donor as a block, post-hoc on condition), and the same
# experiment with wells removed (unbalanced: one-way and condition + donor).
# Per case: anova(lm()) table; per-group n, mean, SD, SEM; TukeyHSD (aov) with p adj and CI, plus the exact CI
# from the root of ptukey (R's qtukey stops its secant iteration at a 1e-4 step); Bonferroni all pairs and
# against the control with the model's residual MSE and df (pairwise.t.test(pool.sd = TRUE) and
# multcomp::glht(test = adjusted("bonferroni")) cross-check it where they estimate the same thing); Dunnett
# two-sided adjusted p and critical value as an independent double integral (nested integrate()), and
# multcomp::glht(mcp(Dunnett)) p-values (randomised quasi-Monte Carlo, ~1e-4) for reference.
options(digits = 17)
suppressMessages(library(multcomp))
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "../../helpers/golden-meta.R"))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

# --- data ---------------------------------------------------------------------------------------------------
pg <- PlantGrowth
wb <- warpbreaks[, c("breaks", "wool", "tension")]
set.seed(20261206)
conds <- c("ctrl", "msc", "msc.1mt", "msc.tm", "transwell")
effect <- c(ctrl = 0, msc = -6, msc.1mt = -2, msc.tm = -4.5, transwell = -1)
sim <- expand.grid(well = 1:3, condition = conds, donor = paste0("D", 1:4), stringsAsFactors = FALSE)
donorEffect <- setNames(rnorm(4, 0, 2), paste0("D", 1:4))
sim$expansion <- round(20 + effect[sim$condition] + donorEffect[sim$donor] + rnorm(nrow(sim), 0, 1.5), 2)
sim <- sim[, c("donor", "condition", "well", "expansion")]
unb <- sim[-c(2, 3, 8, 16, 17, 29, 44, 52), ]
write.csv(pg, file.path(here, "plantgrowth.csv"), row.names = FALSE)
write.csv(wb, file.path(here, "warpbreaks.csv"), row.names = FALSE)
write.csv(sim, file.path(here, "msc-experiment.csv"), row.names = FALSE)
write.csv(unb, file.path(here, "msc-experiment-unbalanced.csv"), row.names = FALSE)
sim$condition <- factor(sim$condition); sim$donor <- factor(sim$donor)
unb$condition <- factor(unb$condition); unb$donor <- factor(unb$donor)

# --- Dunnett as an independent double integral ------------------------------------------------------------
# P(max|T_i| >= c) = E_S[ P(max|Z_i| >= c S) ], Z_i = lam_i Z0 + sqrt(1 - lam_i^2) E_i, S = sqrt(chisq_df / df)
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
  dS <- function(s) dchisq(df * s^2, df) * 2 * df * s          # density of S
  h <- function(s) vapply(s, function(ss) dS(ss) * exceed(cval * ss), 0)
  integrate(h, 0, Inf, rel.tol = 1e-11, abs.tol = 0, subdivisions = 2000L)$value
}
dunnettCrit <- function(level, lam, df) {
  a <- 1 - level; m <- length(lam)
  uniroot(function(cv) dunnettP(cv, lam, df) - a, c(qt(1 - a / 2, df), qt(1 - a / (2 * m), df)), tol = 1e-12)$root
}

# --- one case ---------------------------------------------------------------------------------------------
postHoc <- function(fit, y, g, control) {
  mse <- sum(residuals(fit)^2) / df.residual(fit); dfr <- df.residual(fit)
  lv <- levels(g); k <- length(lv)
  n <- as.vector(table(g)); mean <- as.vector(tapply(y, g, mean)); sd <- as.vector(tapply(y, g, sd))
  names(n) <- names(mean) <- lv
  pairs <- list()
  for (j in 1:(k - 1)) for (i in (j + 1):k) pairs[[length(pairs) + 1]] <- c(lv[i], lv[j])
  comp <- function(a, b) {
    diff <- mean[[a]] - mean[[b]]; se <- sqrt(mse * (1 / n[[a]] + 1 / n[[b]]))
    list(a = a, b = b, diff = diff, se = se, t = diff / se, p = 2 * pt(-abs(diff / se), dfr))
  }
  allPairs <- lapply(pairs, function(p) comp(p[1], p[2]))
  m <- length(allPairs)
  bonf <- lapply(allPairs, function(x) {
    q <- qt(1 - 0.05 / (2 * m), dfr)
    c(x, list(pAdjusted = min(1, m * x$p), lwr = x$diff - q * x$se, upr = x$diff + q * x$se))
  })
  trt <- setdiff(lv, control)
  vsControl <- lapply(trt, function(a) comp(a, control))
  bonfCtrl <- lapply(vsControl, function(x) {
    q <- qt(1 - 0.05 / (2 * length(trt)), dfr)
    c(x, list(pAdjusted = min(1, length(trt) * x$p), lwr = x$diff - q * x$se, upr = x$diff + q * x$se))
  })
  # Tukey: TukeyHSD on the aov fit (model MSE and df), exact CI from the root of ptukey
  gname <- deparse(substitute(g)); gname <- sub(".*\\$", "", gname)
  th <- TukeyHSD(fit, gname)[[gname]]
  qExact <- uniroot(function(q) ptukey(q, k, dfr) - 0.95, c(1, 20), tol = 1e-13)$root
  tukey <- lapply(seq_len(nrow(th)), function(r) {
    ab <- strsplit(rownames(th)[r], "-", fixed = TRUE)[[1]]
    x <- comp(ab[1], ab[2]); w <- qExact * x$se / sqrt(2)
    list(a = ab[1], b = ab[2], diff = th[r, "diff"], lwr = th[r, "lwr"], upr = th[r, "upr"],
         pAdjusted = th[r, "p adj"], lwrExact = x$diff - w, uprExact = x$diff + w, q = abs(x$t) * sqrt(2))
  })
  lam <- sqrt(n[trt] / (n[trt] + n[[control]]))
  crit <- dunnettCrit(0.95, lam, dfr)
  dunnett <- lapply(vsControl, function(x) c(x, list(pAdjusted = dunnettP(abs(x$t), lam, dfr),
                                                     lwr = x$diff - crit * x$se, upr = x$diff + crit * x$se)))
  list(control = control, mse = mse, df = dfr, criticalDunnett = crit, qtukeyExact = qExact,
       qtukeyR = qtukey(0.95, k, dfr),
       levels = list(level = lv, n = unname(n), mean = unname(mean), sd = sd, sem = sd / sqrt(unname(n))),
       tukey = tukey, bonferroni = bonf, bonferroniControl = bonfCtrl, dunnett = dunnett)
}
anovaTable <- function(fit) {
  a <- anova(lm(fit)); rn <- trimws(rownames(a)); k <- length(rn) - 1
  list(terms = I(rn[1:k]), df = I(a$Df[1:k]), F = I(a$`F value`[1:k]), p = I(a$`Pr(>F)`[1:k]),
       residualDf = a$Df[k + 1], residualSumSq = a$`Sum Sq`[k + 1])
}
glhtP <- function(fit, g, type, adj) {
  lf <- eval(parse(text = sprintf("mcp(%s = '%s')", g, type)))
  set.seed(1)
  s <- summary(glht(fit, linfct = lf), test = adjusted(adj))
  list(contrast = names(s$test$coefficients), p = unname(s$test$pvalues))
}

fPg <- aov(weight ~ group, pg)
fWb <- aov(breaks ~ wool + tension, wb)
fSim <- aov(expansion ~ donor + condition, sim)
fSim1 <- aov(expansion ~ condition, sim)
fUnb1 <- aov(expansion ~ condition, unb)
fUnb2 <- aov(expansion ~ condition + donor, unb)
cases <- list(
  plantgrowth = c(list(formula = "weight ~ group", by = "group", anova = anovaTable(fPg)),
                  postHoc(fPg, pg$weight, pg$group, "ctrl"),
                  list(glhtDunnett = glhtP(fPg, "group", "Dunnett", "single-step"))),
  warpbreaks = c(list(formula = "breaks ~ wool + tension", by = "tension", anova = anovaTable(fWb)),
                 postHoc(fWb, wb$breaks, wb$tension, "L"),
                 list(glhtDunnett = glhtP(fWb, "tension", "Dunnett", "single-step"),
                      glhtBonferroni = glhtP(fWb, "tension", "Tukey", "bonferroni"))),
  msc_blocked = c(list(formula = "expansion ~ donor + condition", by = "condition", anova = anovaTable(fSim)),
                  postHoc(fSim, sim$expansion, sim$condition, "ctrl"),
                  list(glhtDunnett = glhtP(fSim, "condition", "Dunnett", "single-step"),
                       glhtBonferroni = glhtP(fSim, "condition", "Tukey", "bonferroni"))),
  msc_oneway = c(list(formula = "expansion ~ condition", by = "condition", anova = anovaTable(fSim1)),
                 postHoc(fSim1, sim$expansion, sim$condition, "ctrl")),
  msc_unbalanced_oneway = c(list(formula = "expansion ~ condition", by = "condition", anova = anovaTable(fUnb1)),
                            postHoc(fUnb1, unb$expansion, unb$condition, "ctrl"),
                            list(glhtDunnett = glhtP(fUnb1, "condition", "Dunnett", "single-step"))),
  msc_unbalanced_first = c(list(formula = "expansion ~ condition + donor", by = "condition",
                                anova = anovaTable(fUnb2)),
                           postHoc(fUnb2, unb$expansion, unb$condition, "ctrl"))
)
# cross-checks: pooled-SD pairwise.t.test is the one-way case; glht Bonferroni equals ours in balanced designs
stopifnot(isTRUE(all.equal(
  as.vector(na.omit(as.vector(pairwise.t.test(pg$weight, pg$group, pool.sd = TRUE, p.adjust.method = "bonferroni")$p.value))),
  vapply(cases$plantgrowth$bonferroni, function(x) x$pAdjusted, 0), tolerance = 1e-12)))
for (cs in c("warpbreaks", "msc_blocked")) stopifnot(isTRUE(all.equal(
  cases[[cs]]$glhtBonferroni$p, vapply(cases[[cs]]$bonferroni, function(x) x$pAdjusted, 0), tolerance = 1e-10)))

versions <- list(R = R.version.string, multcomp = as.character(packageVersion("multcomp")),
                 mvtnorm = as.character(packageVersion("mvtnorm")), jsonlite = as.character(packageVersion("jsonlite")))
meta <- golden_meta(c("multcomp", "mvtnorm", "jsonlite"))
jsonlite::write_json(c(list(generatedWith = meta, versions = versions), cases), file.path(here, "posthoc.json"),
                     digits = NA, auto_unbox = TRUE, pretty = TRUE)

# --- studentized range grid --------------------------------------------------------------------------------
grid <- expand.grid(q = c(0.5, 1.7, 3.2, 4.5, 6.1, 9), nmeans = c(2, 3, 5, 10, 20),
                    df = c(2, 5, 27, 54, 150, 1000, 30000, Inf), nranges = 1)
grid <- rbind(grid, data.frame(q = c(2.5, 4, 5.5), nmeans = c(3, 4, 6), df = c(10, 40, Inf), nranges = c(2, 3, 5)))
grid$p <- mapply(ptukey, grid$q, grid$nmeans, grid$df, grid$nranges)
grid$upper <- mapply(function(q, k, d, r) ptukey(q, k, d, r, lower.tail = FALSE), grid$q, grid$nmeans, grid$df, grid$nranges)
qgrid <- expand.grid(p = c(0.9, 0.95, 0.99), nmeans = c(2, 3, 5, 10), df = c(3, 12, 27, 100, Inf))
qgrid$qtukey <- mapply(qtukey, qgrid$p, qgrid$nmeans, qgrid$df)
qgrid$exact <- mapply(function(p, k, d) uniroot(function(q) ptukey(q, k, d) - p, c(0.5, 30), tol = 1e-13)$root,
                      qgrid$p, qgrid$nmeans, qgrid$df)
infToText <- function(x) ifelse(is.infinite(x), "Infinity", format(x, digits = 17))
grid$df <- infToText(grid$df); qgrid$df <- infToText(qgrid$df)
jsonlite::write_json(list(generatedWith = meta, versions = versions, ptukey = grid, qtukey = qgrid),
                     file.path(here, "studentized-range.json"), digits = NA, pretty = TRUE)
