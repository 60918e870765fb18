//! The fixed catalogues that jobs, profiles and searches share: categories and skills.
//! Free-text skills would split one skill into many spellings and make filters useless, so
//! every skill is a slug from this list (clients and freelancers pick, never type).

pub const CATEGORIES: &[(&str, &str)] = &[
    ("web-mobile-software-dev", "Web, Mobile & Software Dev"),
    ("it-networking", "IT & Networking"),
    ("data-science-analytics", "Data Science & Analytics"),
    ("design-creative", "Design & Creative"),
    ("writing", "Writing"),
    ("translation", "Translation"),
    ("sales-marketing", "Sales & Marketing"),
    ("admin-support", "Admin Support"),
    ("customer-service", "Customer Service"),
    ("engineering-architecture", "Engineering & Architecture"),
    ("accounting-consulting", "Accounting & Consulting"),
    ("legal", "Legal"),
];

pub const SKILLS: &[&str] = &[
    "rust",
    "go",
    "python",
    "java",
    "kotlin",
    "swift",
    "javascript",
    "typescript",
    "react",
    "vue",
    "angular",
    "node-js",
    "django",
    "ruby-on-rails",
    "php",
    "laravel",
    "wordpress",
    "shopify",
    "html-css",
    "c-sharp",
    "dot-net",
    "c-plus-plus",
    "ios",
    "android",
    "flutter",
    "react-native",
    "aws",
    "aws-lambda",
    "dynamodb",
    "postgresql",
    "mysql",
    "mongodb",
    "docker",
    "kubernetes",
    "terraform",
    "devops",
    "linux",
    "network-security",
    "machine-learning",
    "data-analysis",
    "data-visualization",
    "sql",
    "tableau",
    "excel",
    "graphic-design",
    "logo-design",
    "ui-design",
    "ux-design",
    "figma",
    "illustration",
    "video-editing",
    "animation",
    "photography",
    "copywriting",
    "content-writing",
    "technical-writing",
    "editing-proofreading",
    "translation-spanish",
    "translation-french",
    "translation-german",
    "seo",
    "social-media-marketing",
    "email-marketing",
    "lead-generation",
    "virtual-assistance",
    "data-entry",
    "customer-support",
    "bookkeeping",
    "accounting",
    "financial-modeling",
    "contract-law",
    "cad",
    "mechanical-engineering",
    "electrical-engineering",
];

pub fn is_category(slug: &str) -> bool {
    CATEGORIES.iter().any(|(s, _)| *s == slug)
}

pub fn is_skill(slug: &str) -> bool {
    SKILLS.contains(&slug)
}

/// Checks a skill list: known slugs, no duplicates, between `min` and `max` of them.
/// Returns the message for the caller's validation error.
pub fn check_skills(skills: &[String], min: usize, max: usize) -> Result<(), String> {
    if skills.len() < min || skills.len() > max {
        return Err(format!("give between {min} and {max} skills"));
    }
    if let Some(unknown) = skills.iter().find(|s| !is_skill(s)) {
        return Err(format!("{unknown:?} is not a skill in the catalogue"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = skills.iter().find(|s| !seen.insert(s.as_str())) {
        return Err(format!("{dup:?} is listed twice"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_entries_are_unique_slugs() {
        let mut all: Vec<&str> = SKILLS.to_vec();
        all.extend(CATEGORIES.iter().map(|(s, _)| *s));
        for slug in &all {
            assert!(slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
        let unique: std::collections::HashSet<_> = SKILLS.iter().collect();
        assert_eq!(unique.len(), SKILLS.len());
    }

    #[test]
    fn skill_lists_are_checked() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_skills(&s(&["rust", "aws"]), 1, 15).is_ok());
        assert!(check_skills(&s(&["rust", "cobol"]), 1, 15).is_err());
        assert!(check_skills(&s(&["rust", "rust"]), 1, 15).is_err());
        assert!(check_skills(&s(&[]), 1, 15).is_err());
    }
}
