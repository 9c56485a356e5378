class CharacterClassValidator:
    def validate(self, password, user=None):
        pass

    def get_help_text(self):
        return ""


class NotReusedValidator(CharacterClassValidator):
    pass
