"""Free-text columns: per-text descriptors (judged as numerical features) and content drift (a domain classifier
on word n-grams), as pure functions of a reference's texts and a window's."""
