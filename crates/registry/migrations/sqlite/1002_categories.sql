-- Registry: categories of people (重点人群) as data, each with its own attribute fields,
-- and each person's membership with start, end and a status history.
CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    builtin INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    sort INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE person_categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    unit_code TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}',
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX person_categories_list ON person_categories (category_code, unit_code);
CREATE INDEX person_categories_person ON person_categories (person_id);
CREATE TABLE person_category_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_category_id INTEGER NOT NULL REFERENCES person_categories (id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    attrs TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX person_category_events_pc ON person_category_events (person_category_id);

INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('left_behind_women', '留守妇女', 'Left-behind women', '[{"key": "spouse_work_place", "label_zh": "配偶务工地", "label_en": "Where the spouse works", "type": "text", "options": [], "required": false}, {"key": "annual_income", "label_zh": "家庭年收入(元)", "label_en": "Household income (yuan/year)", "type": "number", "options": [], "required": false}]', 1, 1, 1, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('left_behind_children', '留守儿童', 'Left-behind children', '[{"key": "school", "label_zh": "就读学校", "label_en": "School", "type": "text", "options": [], "required": false}, {"key": "grade", "label_zh": "年级", "label_en": "Grade", "type": "text", "options": [], "required": false}, {"key": "guardian", "label_zh": "监护人", "label_en": "Guardian", "type": "text", "options": [], "required": true}, {"key": "parents_away", "label_zh": "外出情况", "label_en": "Parents away", "type": "choice", "options": ["父亲外出", "母亲外出", "父母均外出"], "required": true}]', 1, 1, 2, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('migrant_children', '新居民儿童', 'Migrant children', '[{"key": "school", "label_zh": "就读学校", "label_en": "School", "type": "text", "options": [], "required": false}, {"key": "dropped_out", "label_zh": "是否辍学", "label_en": "Dropped out", "type": "choice", "options": ["是", "否"], "required": true}, {"key": "years_resident", "label_zh": "居住年限(年)", "label_en": "Years of residence", "type": "number", "options": [], "required": true}, {"key": "conduct", "label_zh": "表现", "label_en": "Conduct", "type": "choice", "options": ["良好", "一般", "需关注"], "required": false}]', 1, 1, 3, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('single_poor_mothers', '单亲贫困母亲', 'Poor single mothers', '[{"key": "family_situation", "label_zh": "家庭情况", "label_en": "Family situation", "type": "text", "options": [], "required": false}, {"key": "annual_income", "label_zh": "家庭年收入(元)", "label_en": "Household income (yuan/year)", "type": "number", "options": [], "required": false}, {"key": "health", "label_zh": "健康状况", "label_en": "Health", "type": "text", "options": [], "required": false}, {"key": "poverty_cause", "label_zh": "致困原因", "label_en": "Cause of poverty", "type": "text", "options": [], "required": true}]', 1, 1, 4, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('poor_mothers', '贫困母亲', 'Poor mothers', '[{"key": "family_situation", "label_zh": "家庭情况", "label_en": "Family situation", "type": "text", "options": [], "required": false}, {"key": "annual_income", "label_zh": "家庭年收入(元)", "label_en": "Household income (yuan/year)", "type": "number", "options": [], "required": false}, {"key": "health", "label_zh": "健康状况", "label_en": "Health", "type": "text", "options": [], "required": false}, {"key": "poverty_cause", "label_zh": "致困原因", "label_en": "Cause of poverty", "type": "text", "options": [], "required": true}]', 1, 1, 5, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('children_in_difficulty', '困境儿童', 'Children in difficulty', '[{"key": "difficulty", "label_zh": "困境类型", "label_en": "Kind of difficulty", "type": "choice", "options": ["孤儿", "事实无人抚养", "重病重残", "家庭困难", "其他"], "required": true}, {"key": "school", "label_zh": "就读学校", "label_en": "School", "type": "text", "options": [], "required": false}]', 1, 1, 6, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('out_of_school_girls', '贫困失学儿童', 'Poor out-of-school children', '[{"key": "reason", "label_zh": "失学原因", "label_en": "Why out of school", "type": "text", "options": [], "required": true}]', 1, 1, 7, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('spring_bud_girls', '春蕾女童', 'Spring Bud girls', '[{"key": "school", "label_zh": "就读学校", "label_en": "School", "type": "text", "options": [], "required": true}, {"key": "grade", "label_zh": "年级", "label_en": "Grade", "type": "text", "options": [], "required": false}, {"key": "aid_since", "label_zh": "资助开始学期", "label_en": "Aided since (term)", "type": "text", "options": [], "required": false}]', 1, 1, 8, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('two_cancers', '两癌患者', 'Breast or cervical cancer patients', '[{"key": "cancer", "label_zh": "病种", "label_en": "Cancer", "type": "choice", "options": ["乳腺癌", "宫颈癌"], "required": true}, {"key": "screening_stage", "label_zh": "筛查阶段", "label_en": "Screening stage", "type": "choice", "options": ["初筛异常", "复查", "确诊"], "required": false}, {"key": "aid_stage", "label_zh": "救助阶段", "label_en": "Aid stage", "type": "choice", "options": ["未申请", "已申请", "已救助"], "required": false}, {"key": "illness_stage", "label_zh": "病情", "label_en": "Illness stage", "type": "choice", "options": ["治疗中", "康复期", "复发"], "required": false}]', 1, 1, 9, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('laid_off_women', '下岗女职工', 'Laid-off women workers', '[{"key": "former_employer", "label_zh": "原单位", "label_en": "Former employer", "type": "text", "options": [], "required": false}, {"key": "skills", "label_zh": "技能", "label_en": "Skills", "type": "text", "options": [], "required": false}]', 1, 1, 10, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('dibao', '低保', 'Minimum living allowance', '[{"key": "dibao_kind", "label_zh": "低保类型", "label_en": "Kind", "type": "choice", "options": ["城市低保", "农村低保"], "required": true}, {"key": "monthly_amount", "label_zh": "月保障金(元)", "label_en": "Monthly amount (yuan)", "type": "number", "options": [], "required": false}]', 1, 1, 11, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('registered_poor', '建档立卡贫困户', 'Registered poor households', '[{"key": "poverty_cause", "label_zh": "致贫原因", "label_en": "Cause of poverty", "type": "text", "options": [], "required": true}, {"key": "household_size", "label_zh": "家庭人口", "label_en": "Household size", "type": "number", "options": [], "required": false}]', 1, 1, 12, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('capable_women', '女能人/致富带头人', 'Women entrepreneurs and leaders', '[{"key": "industry", "label_zh": "产业", "label_en": "Industry", "type": "text", "options": [], "required": true}, {"key": "employs", "label_zh": "带动就业(人)", "label_en": "Jobs created", "type": "number", "options": [], "required": false}]', 1, 1, 13, 0);
INSERT INTO categories (code, name_zh, name_en, fields, builtin, active, sort, created_at) VALUES ('talent_pool', '妇女人才库', 'Women''s talent pool', '[{"key": "talent_kind", "label_zh": "人才类别", "label_en": "Kind of talent", "type": "choice", "options": ["党政人才", "专业技术人才", "优秀人才"], "required": true}, {"key": "titles", "label_zh": "身份", "label_en": "Titles (deputy, CPPCC member, party member)", "type": "text", "options": [], "required": false}]', 1, 1, 14, 0);
