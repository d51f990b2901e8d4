ré_sumé = "naïve — ünïcode"; résultat = eval(ré_sumé)  # 😀 émoji before: eval(x)

def f(données=[]):
    """Ça marche."""
    return données

nested = eval(eval("1"))

def ok(valeur=None):
    return valeur
