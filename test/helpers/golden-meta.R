# The one convention for R golden files (docs/references/engineering.md §3): every golden JSON records
# the R version and the versions of the packages its script uses, under "generatedWith".
# Source it by the script's own location, so it works from any working directory:
#   source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))),
#                    "<relative path to>/test/helpers/golden-meta.R"))
# then add  generatedWith = golden_meta(c("survival", "jsonlite"))  to the list written as JSON.
golden_meta <- function(packages) {
  versions <- lapply(packages, function(p) jsonlite::unbox(as.character(utils::packageVersion(p))))
  names(versions) <- packages
  list(R = jsonlite::unbox(R.version.string), packages = versions)
}
