# Golden values for test/stats/anova.test.ts: R aov (type I, sequential sums of squares = anova(lm)) and
# pairwise.t.test(pool.sd = TRUE, p.adjust.method = "bonferroni") (one-way, and the cells of the full two-way
# model: there the pooled SD is the model's). Post-hoc on one factor of a two-way model uses the model's residual
# MSE and df (as TukeyHSD(aov)): computed here from sigma(fit) and checked against
# multcomp::glht(test = adjusted("bonferroni")) on the additive model's dose contrasts (same means, balanced).
# Data are R datasets written as CSV beside this script. Run: Rscript test/stats/anova/anova.R
# R 4.2.2, multcomp 1.4-22, jsonlite 1.8.4 (versions also written to anova.json).
options(digits = 17)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "../../helpers/golden-meta.R"))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
pg <- PlantGrowth
tg <- ToothGrowth; tg$dose <- factor(tg$dose)
mt <- data.frame(mpg = mtcars$mpg, cyl = factor(mtcars$cyl), am = factor(mtcars$am))
write.csv(pg, file.path(here, "plantgrowth.csv"), row.names = FALSE)
write.csv(tg, file.path(here, "toothgrowth.csv"), row.names = FALSE)
write.csv(mt, file.path(here, "mtcars_cyl_am.csv"), row.names = FALSE)
tab <- function(fit) {
  a <- anova(lm(fit))
  rn <- trimws(rownames(a))
  list(terms = rn, df = a$Df, sumSq = a$`Sum Sq`, meanSq = a$`Mean Sq`,
       F = ifelse(is.na(a$`F value`), NA, a$`F value`), p = ifelse(is.na(a$`Pr(>F)`), NA, a$`Pr(>F)`))
}
pw <- function(y, g) {
  r <- pairwise.t.test(y, g, p.adjust.method = "bonferroni", pool.sd = TRUE)
  raw <- pairwise.t.test(y, g, p.adjust.method = "none", pool.sd = TRUE)
  m <- r$p.value; m0 <- raw$p.value
  out <- list()
  for (i in rownames(m)) for (j in colnames(m)) if (!is.na(m[i, j]))
    out[[length(out) + 1]] <- list(a = i, b = j, p = m0[i, j], pAdjusted = m[i, j])
  out
}
pwModel <- function(fit, y, g) {
  mse <- sum(residuals(fit)^2) / df.residual(fit); lv <- levels(g); m <- choose(length(lv), 2)
  mu <- tapply(y, g, mean); n <- table(g); out <- list()
  for (j in 1:(length(lv) - 1)) for (i in (j + 1):length(lv)) {
    t <- (mu[[i]] - mu[[j]]) / sqrt(mse * (1 / n[[i]] + 1 / n[[j]]))
    p <- 2 * pt(-abs(t), df.residual(fit))
    out[[length(out) + 1]] <- list(a = lv[i], b = lv[j], p = p, pAdjusted = min(1, m * p))
  }
  out
}
tgFit <- aov(len ~ supp * dose, tg)
tgDose <- pwModel(tgFit, tg$len, tg$dose)
tgAdd <- aov(len ~ supp + dose, tg)
suppressMessages(library(multcomp))
gl <- summary(glht(tgAdd, linfct = mcp(dose = "Tukey")), test = adjusted("bonferroni"))
stopifnot(isTRUE(all.equal(unname(gl$test$pvalues), vapply(pwModel(tgAdd, tg$len, tg$dose), function(x) x$pAdjusted, 0),
                           tolerance = 1e-10)))
res <- list(
  versions = list(R = R.version.string, multcomp = as.character(packageVersion("multcomp")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  plantgrowth_oneway = list(anova = tab(aov(weight ~ group, pg)), pairwise = pw(pg$weight, pg$group),
                            levels = list(level = levels(pg$group), n = as.vector(table(pg$group)),
                                          mean = as.vector(tapply(pg$weight, pg$group, mean)),
                                          sd = as.vector(tapply(pg$weight, pg$group, sd)))),
  toothgrowth_twoway = list(anova = tab(aov(len ~ supp * dose, tg)),
                            pairwise_dose = tgDose,
                            pairwise_cells = pw(tg$len, interaction(tg$supp, tg$dose, sep = ":"))),
  mtcars_unbalanced_cyl_am = list(anova = tab(aov(mpg ~ cyl * am, mt))),
  mtcars_unbalanced_am_cyl = list(anova = tab(aov(mpg ~ am * cyl, mt)))
)
res$generatedWith <- golden_meta(c("jsonlite"))
jsonlite::write_json(res, file.path(here, "anova.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
