"""Vocabulary for generated titles, descriptions and names, in English and Russian."""

GENRES: tuple[tuple[str, str], ...] = (
    ("Action", "Fights, chases and explosions."),
    ("Adventure", "Journeys into the unknown."),
    ("Animation", "Drawn, modelled or stop-motion worlds."),
    ("Biography", "Lives of real people."),
    ("Comedy", "Made to make you laugh."),
    ("Crime", "Heists, detectives and the underworld."),
    ("Documentary", "Non-fiction films about the real world."),
    ("Drama", "Serious stories of people in conflict."),
    ("Family", "For viewers of every age."),
    ("Fantasy", "Magic, myths and other worlds."),
    ("Game-Show", ""),
    ("History", "Events of the past."),
    ("Horror", "Made to frighten."),
    ("Music", "Musicians and their music."),
    ("Musical", "Stories told in song."),
    ("Mystery", "Puzzles to be solved."),
    ("News", "N/A"),
    ("Reality-TV", ""),
    ("Romance", "Love stories."),
    ("Sci-Fi", "Science, space and the future."),
    ("Short", "Films under forty minutes."),
    ("Sport", "Athletes and competitions."),
    ("Talk-Show", "N/A"),
    ("Thriller", "Suspense and danger."),
    ("War", "Soldiers and battles."),
    ("Western", "The American frontier."),
)

EN_TITLE_WORDS = (
    "Star", "Wars", "Empire", "Return", "Galaxy", "Dark", "Night", "Light", "Last", "First",
    "Secret", "Journey", "Shadow", "River", "City", "Storm", "Silent", "Golden", "Lost",
    "Kingdom", "Dream", "Ocean", "Fire", "Winter", "Summer", "Hunter", "Ghost", "Machine",
    "Legend", "Heart", "Road", "Island", "Planet", "Trek", "Quest", "Escape", "Voyage",
)
RU_TITLE_WORDS = (
    "Звезда", "Война", "Империя", "Возвращение", "Галактика", "Тёмная", "Ночь", "Свет",
    "Последний", "Первый", "Тайна", "Путешествие", "Тень", "Река", "Город", "Буря", "Тихий",
    "Золотой", "Потерянный", "Королевство", "Мечта", "Океан", "Огонь", "Зима", "Лето",
    "Охотник", "Призрак", "Машина", "Легенда", "Сердце", "Дорога", "Остров", "Планета",
)
EN_SENTENCES = (
    "A young hero leaves home to save the galaxy.",
    "Two strangers meet on a train and change each other's lives.",
    "A detective hunts a killer through a rainy city.",
    "The crew of a starship faces an ancient enemy.",
    "A family fights to keep their farm through a hard winter.",
    "An old soldier returns from war and finds his town changed.",
    "Friends plan the heist of the century.",
    "A scientist's experiment opens a door to another world.",
)
RU_SENTENCES = (
    "Молодой герой покидает дом, чтобы спасти галактику.",
    "Двое незнакомцев встречаются в поезде и меняют жизни друг друга.",
    "Сыщик преследует убийцу в дождливом городе.",
    "Экипаж звездолёта сталкивается с древним врагом.",
    "Семья борется за свою ферму суровой зимой.",
    "Старый солдат возвращается с войны и не узнаёт родной город.",
    "Друзья готовят ограбление века.",
    "Опыт учёного открывает дверь в другой мир.",
)
EN_FIRST = (
    "John", "Mary", "George", "Anna", "Harrison", "Carrie", "Mark", "Peter", "Emma", "James",
    "Olivia", "William", "Sophia", "Robert", "Grace", "Michael", "Lucy", "David", "Natalie", "Tom",
)
EN_LAST = (
    "Lucas", "Ford", "Fisher", "Hamill", "Smith", "Johnson", "Brown", "Taylor", "Wilson",
    "Davies", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Green", "Hall", "Wood", "Clarke",
)
RU_FIRST = (
    "Иван", "Мария", "Сергей", "Анна", "Андрей", "Ольга", "Дмитрий", "Елена", "Алексей",
    "Наталья", "Михаил", "Татьяна", "Николай", "Ирина", "Павел", "Светлана",
)
RU_LAST = (
    "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
    "Новиков", "Морозов", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов",
)
